package dev.pgbackup.restore.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.restore.CreatedDatabases;
import dev.pgbackup.testsupport.BackupFiles;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Restore drills against a real PostgreSQL, the layer's real pg_restore and moto's S3/SSM over HTTP: the newest
 * staging backup restored into a scratch database beside the staging database, checked, dropped; the staging
 * database itself never touched.
 */
class RestoreDrillIT extends DrillFixtures {
    // ---------------------------------------------------------------- drills that pass

    @Test
    void theNewestBackupIsRestoredIntoAScratchDatabaseCheckedAndDropped() throws Exception {
        Fixture f = new Fixture();
        byte[] older = BackupFiles.dump(pg, f.db);
        f.backUp(Instant.now().minus(Duration.ofHours(2)), older, sha256(older), COUNTS);
        String newest = f.goodBackup();
        Map<String, Object> result;
        try (Connection idle = pg.connection(f.db).open()) {

            result = f.drill();

            assertTrue(idle.isValid(5), "the drill ended no session of the environment's database");
        }
        assertEquals("SUCCEEDED", result.get("status"), result::toString);
        String message = (String) result.get("message");
        assertTrue(message.matches(passed(newest, "the environment's server", "row counts equal")), message);
        JobRecord job = f.job(result);
        assertEquals(message, job.message());
        assertEquals(JobRecord.Type.DRILL, job.type());
        assertEquals(JobRecord.Status.SUCCEEDED, job.status());
        assertEquals(newest, job.filename());
        assertEquals("schedule", job.trigger());
        assertTrue(job.details().matches("scratch database '" + f.db + "_drill_\\d{8}_\\d{6}'; pg_restore \\S+; "
                + "checksum verified; rows of 4 tables compared; free space not checked: DB_INSTANCE_IDENTIFIER is "
                + "not set .*"), job.details());
        assertTrue(job.timings().keySet().containsAll(List.of("check", "create", "pg_restore", "verify", "drop")),
                job.timings()::toString);
        LastDrill last = new Records(f.stack.wiring.objects).read(f.stack.wiring.keys.lastDrill(), LastDrill.class)
                .orElseThrow();
        assertEquals(List.of(job.jobId(), newest, 5, 4), List.of(last.jobId(), last.filename(), last.tables(),
                last.rowCountsCompared()));
        String audit = f.stack.audit();
        assertTrue(audit.contains("\"action\":\"restore.drill\""), audit);
        assertTrue(audit.contains("\"result\":\"SUCCEEDED\""), audit);
        assertTrue(audit.contains("\"Environment\":\"staging\",\"DrillSucceeded\":1"), audit);
        f.assertCleanAndUntouched();
    }

    @Test
    void aBackupThatRecordedNoRowCountsIsCheckedWithoutThemAndSaysSo() {
        Fixture f = new Fixture();
        byte[] dump = BackupFiles.dump(pg, f.db);
        String name = f.backUp(Instant.now(), dump, sha256(dump), null);

        Map<String, Object> result = f.drill();

        String message = (String) result.get("message");
        assertTrue(message.matches(passed(name, "the environment's server", "row counts not recorded by this backup")),
                message);
        assertFalse(f.job(result).details().contains("compared"), f.job(result).details());
        f.assertCleanAndUntouched();
    }

    @Test
    void aVerificationServerGetsTheScratchDatabaseAndTheEnvironmentsUrlIsNeverRead() {
        String verification = "verify_" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(verification);
        Fixture f = new Fixture(Map.of("DRILL_DATABASE_URL_PARAMETER", "/pharmatracker/staging/drill-db-url"));
        String name = f.goodBackup();
        f.stack.putParameters("postgresql://nobody:wrong@127.0.0.1:1/nothing?sslmode=disable"); // never used
        putParameter("/pharmatracker/staging/drill-db-url", pg.url(verification));

        Map<String, Object> result = f.drill();

        String message = (String) result.get("message");
        assertTrue(message.matches(passed(name, "the verification server", "row counts equal")), message);
        assertTrue(f.job(result).details().startsWith("scratch database '" + verification + "_drill_"),
                f.job(result).details());
        assertEquals(List.of(), pg.databases(verification + "_"));
        f.assertCleanAndUntouched();
    }

    /**
     * Scratch databases of drills that died are dropped when this stack's journal holds them under that name and OID,
     * and only then: a young one may still be in use, and one that only looks like ours (another stack's, or one
     * recreated under the same name) is not ours to drop.
     */
    @Test
    void aScratchDatabaseOfADeadDrillIsDroppedAndOneThatMayStillBeInUseIsNot() {
        Fixture f = new Fixture();
        String name = f.goodBackup();
        String dead = f.db + "_drill_20200101_000000";
        String young = f.db + "_drill_" + DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(ZoneOffset.UTC)
                .format(Instant.now().minusSeconds(60));
        String lookalike = f.db + "_drill_20200101_000001";
        String recreated = f.db + "_drill_20200101_000002";
        for (String db : List.of(dead, young, lookalike, recreated)) {
            pg.createDatabase(db);
        }
        String where = DrillService.ENVIRONMENT_SERVER + "/" + f.db;
        journal(f, Instant.parse("2020-01-01T00:00:00Z")).add(dead, oid(dead), CreatedDatabases.Kind.DRILL, where,
                "j1");
        journal(f, Instant.now().minusSeconds(60)).add(young, oid(young), CreatedDatabases.Kind.DRILL, where, "j2");
        journal(f, Instant.parse("2020-01-01T00:00:02Z")).add(recreated, oid(recreated) + 1,
                CreatedDatabases.Kind.DRILL, where, "j3");

        Map<String, Object> result = f.drill();

        assertEquals("SUCCEEDED", result.get("status"), result::toString);
        assertTrue(f.job(result).details().contains("; dropped '" + dead + "' left by an earlier drill that did not "
                + "finish"), f.job(result).details());
        assertEquals(List.of(lookalike, recreated, young), pg.databases(f.db + "_"));
        assertEquals(List.of(young),
                journal(f, Instant.now()).all().stream().map(CreatedDatabases.Entry::name).toList(),
                "the dropped one and the one under another OID are forgotten");
        List.of(lookalike, recreated, young).forEach(pg::dropDatabase);
        f.assertCleanAndUntouched();
    }

    /**
     * A table of contents of 200,000 tables (21 MB of --list) is read whole as it streams: the drill compares every
     * entry with what it restored instead of refusing the archive as too long, as it did with a 16 MB cap.
     */
    @Test
    void aTableOfContentsOfTwoHundredThousandTablesIsReadWhole() {
        java.nio.file.Path tools = dev.pgbackup.testsupport.FakeTools.wrapping("pg_restore", """
                if printf '%s\\n' "$@" | grep -qx -- --list; then
                  "$REAL" "$@" || exit $?
                  awk 'BEGIN { for (i = 0; i < 200000; i++) printf "%d; 1259 %d TABLE tenant_%06d \\
                prescription_line_items_%06d_archive_padding_to_a_long_name owner\\n", 900000 + i, 900000 + i, i, i }'
                  exit 0
                fi
                exec "$REAL" "$@"
                """);
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));
        f.goodBackup();

        Map<String, Object> result = f.drill();

        assertEquals("FAILED", result.get("status"), result::toString);
        String message = (String) result.get("message");
        assertTrue(message.contains("the restored database lacks 200000 of the archive's 200005 tables: TABLE "
                + "tenant_000000 prescription_line_items_000000_archive_padding_to_a_long_name"), message);
        f.assertCleanAndUntouched();
    }

    // ---------------------------------------------------------------- one drill at a time

    @Test
    void aSecondDrillIsRefusedWhileOneHoldsTheDrillLock() {
        Fixture f = new Fixture();
        f.goodBackup();
        String holder = UUID.randomUUID().toString();
        Lock lock = new Lock(f.stack.wiring.records, new StateKeys("pharmatracker", "staging").drillLock(),
                Duration.ofMinutes(22), f.stack.wiring.clock);
        assertTrue(lock.acquire(holder, "test", null).acquired());

        Map<String, Object> result = f.drill();

        String message = "Restore drill refused: a restore drill of 'staging' is already running (job " + holder
                + "); this one did not run";
        assertEquals("FAILED", result.get("status"));
        assertEquals(message, result.get("message"));
        assertEquals(message, f.job(result).message());
        assertEquals(holder, lock.holder().orElseThrow().jobId(), "the running drill's lock is untouched");
        assertEquals(List.of(), pg.databases(f.db + "_"));
        assertFalse(f.stack.audit().contains("DrillFailed"), "a refusal is not a failed drill");
        assertTrue(f.stack.audit().contains("\"result\":\"REFUSED\""), f.stack.audit());

        assertTrue(lock.release(holder));
        assertEquals("SUCCEEDED", f.drill().get("status"), "with the lock free, the next drill runs");
    }

    @Test
    void aRepeatedDeliveryOfOneScheduleExecutionRunsOnce() {
        Fixture f = new Fixture();
        f.goodBackup();
        Map<String, Object> event = scheduledEvent();

        Map<String, Object> first = f.drill(event);
        Map<String, Object> second = f.drill(event);

        assertEquals("SUCCEEDED", first.get("status"));
        assertEquals(Map.of("status", "IGNORED", "jobId", first.get("jobId")), second);
        assertEquals(1, f.keys("pgbackup/jobs/").size());
    }
}
