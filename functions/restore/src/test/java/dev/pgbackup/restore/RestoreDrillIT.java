package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Restore drills against a real PostgreSQL, the layer's real pg_restore and moto's S3/SSM over HTTP: the newest
 * staging backup restored into a scratch database beside the staging database, checked, dropped; the staging
 * database itself never touched.
 */
class RestoreDrillIT {
    static final String ORDERS = "300";
    static final Map<String, Long> COUNTS = Map.of("public.customers", 200L, "public.orders", 300L,
            "public.readings_2025", 100L, "public.readings_2026", 50L);
    static final Duration LONG = Duration.ofMinutes(15);
    static TestPostgres pg;

    @BeforeAll
    static void server() {
        pg = TestPostgres.get();
    }

    /** A staging stack with its own bucket and database (4 tables with rows, one partitioned table). */
    static final class Fixture {
        final TestStack stack;
        final String db;
        final Map<String, List<String>> before;
        final String production = BackupFiles.name("production", Instant.now());

        Fixture(Map<String, String> overrides) {
            String bucket = "drill-" + UUID.randomUUID().toString().substring(0, 8);
            TestStack.createBucket(bucket);
            db = "drill_" + UUID.randomUUID().toString().substring(0, 8);
            pg.createDatabase(db);
            SeedData.seed(pg, db, Integer.parseInt(ORDERS), "staging-data");
            pg.execute(db, """
                    set role app_owner;
                    create table readings (id int, at date not null) partition by range (at);
                    create table readings_2025 partition of readings for values from ('2025-01-01') to ('2026-01-01');
                    create table readings_2026 partition of readings for values from ('2026-01-01') to ('2027-01-01');
                    insert into readings select g, date '2025-03-01' from generate_series(1, 100) g;
                    insert into readings select g, date '2026-03-01' from generate_series(1, 50) g;
                    """);
            stack = TestStack.create("staging", bucket, db, new HashMap<>(overrides));
            // another environment's newer backup in the same bucket: never this environment's drill
            BackupFiles.upload(stack.s3, bucket, production, "not a staging backup".getBytes());
            before = pg.snapshot(db);
        }

        Fixture() {
            this(Map.of());
        }

        /** A backup of the staging database as it is now, named {@code when}, with its manifest. */
        String backUp(Instant when, byte[] archive, String sha256, Map<String, Long> counts) {
            String name = BackupFiles.name("staging", when);
            BackupFiles.upload(stack.s3, stack.bucket, name, archive);
            if (sha256 != null) {
                new Records(stack.wiring.objects).write(stack.wiring.keys.manifest(name, BackupClass.SCHEDULED),
                        new Manifest(name, "staging", BackupClass.SCHEDULED, UUID.randomUUID().toString(), when, when,
                                archive.length, sha256, "16", "16", "zstd:1", null).withRowCounts(counts));
            }
            return name;
        }

        String goodBackup() {
            byte[] dump = BackupFiles.dump(pg, db);
            return backUp(Instant.now().minus(Duration.ofMinutes(10)), dump, RestoreIT.sha256(dump), COUNTS);
        }

        Map<String, Object> drill(Map<String, Object> event) {
            return stack.handler(RestoreDrillHandler.class).handleRequest(event, new TestContext(LONG));
        }

        Map<String, Object> drill() {
            return drill(scheduledEvent());
        }

        JobRecord job(Map<String, Object> result) {
            return stack.wiring.jobs.find((String) result.get("jobId")).orElseThrow();
        }

        List<String> keys(String prefix) {
            return stack.keys(prefix);
        }

        String raw(String prefix) {
            return stack.raw(prefix);
        }

        /** The scratch database is gone, the staging database is as it was, the lock is free, no secret showed. */
        void assertCleanAndUntouched() {
            assertEquals(List.of(), pg.databases(db + "_"), "no scratch database left");
            assertEquals(before, pg.snapshot(db), "the environment's database is unchanged");
            assertEquals(List.of(), keys("pgbackup/locks/"), "the drill lock is released");
            String everything = stack.audit() + raw("pgbackup/jobs/");
            assertFalse(everything.contains(TestPostgres.APP_PASSWORD), "the database password leaked");
        }

        void assertFailedWith(Map<String, Object> result, String message) {
            assertEquals("FAILED", result.get("status"), result::toString);
            assertEquals(message, result.get("message"));
            JobRecord job = job(result);
            assertEquals(JobRecord.Type.DRILL, job.type());
            assertEquals(JobRecord.Status.FAILED, job.status());
            assertEquals(message, job.message());
            assertTrue(stack.audit().contains("\"Environment\":\"staging\",\"DrillFailed\":1"), stack.audit());
            assertFalse(stack.audit().contains("DrillSucceeded"), stack.audit());
            assertEquals(List.of(), keys(stack.wiring.keys.lastDrill()), "no successful drill recorded");
            assertCleanAndUntouched();
        }
    }

    /** What EventBridge Scheduler sends the drill function (events/restore-drill.json), with a new execution id. */
    static Map<String, Object> scheduledEvent() {
        try {
            Map<String, Object> event = Json.MAPPER.readValue(RepoPaths.root().resolve("events/restore-drill.json")
                    .toFile(), new TypeReference<Map<String, Object>>() { });
            event.put("id", UUID.randomUUID().toString());
            return event;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String passed(String filename, String server, String counts) {
        return "Restore drill passed: restored " + filename + " into a scratch database on " + server
                + ": 5 tables, " + counts + ", \\d+\\.\\d s; dropped";
    }

    // ---------------------------------------------------------------- drills that pass

    @Test
    void theNewestBackupIsRestoredIntoAScratchDatabaseCheckedAndDropped() throws Exception {
        Fixture f = new Fixture();
        byte[] older = BackupFiles.dump(pg, f.db);
        f.backUp(Instant.now().minus(Duration.ofHours(2)), older, RestoreIT.sha256(older), COUNTS);
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
        String name = f.backUp(Instant.now(), dump, RestoreIT.sha256(dump), null);

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
        journal(f, Instant.parse("2020-01-01T00:00:00Z")).add(dead, oid(dead), CreatedDatabases.Kind.DRILL, where, "j1");
        journal(f, Instant.now().minusSeconds(60)).add(young, oid(young), CreatedDatabases.Kind.DRILL, where, "j2");
        journal(f, Instant.parse("2020-01-01T00:00:02Z")).add(recreated, oid(recreated) + 1,
                CreatedDatabases.Kind.DRILL, where, "j3");

        Map<String, Object> result = f.drill();

        assertEquals("SUCCEEDED", result.get("status"), result::toString);
        assertTrue(f.job(result).details().contains("; dropped '" + dead + "' left by an earlier drill that did not "
                + "finish"), f.job(result).details());
        assertEquals(List.of(lookalike, recreated, young), pg.databases(f.db + "_"));
        assertEquals(List.of(young), journal(f, Instant.now()).all().stream().map(CreatedDatabases.Entry::name).toList(),
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

    static CreatedDatabases journal(Fixture f, Instant now) {
        return new CreatedDatabases(f.stack.wiring.objects, f.stack.wiring.keys, Clock.fixed(now, ZoneOffset.UTC));
    }

    static long oid(String database) {
        return Long.parseLong(TestPostgres.get().query("postgres", "select oid from pg_database where datname = '"
                + database + "'").get(0));
    }

    // ---------------------------------------------------------------- drills that fail

    @Test
    void aBackupTruncatedInItsDataFailsInPgRestoreAndItsScratchDatabaseIsDropped() {
        Fixture f = new Fixture();
        byte[] dump = BackupFiles.dump(pg, f.db);
        String name = f.backUp(Instant.now(), Arrays.copyOf(dump, dump.length / 2), null, null);

        Map<String, Object> result = f.drill();

        String message = (String) result.get("message");
        assertTrue(message.startsWith("Restore drill failed: pg_restore exited with code 1: "), message);
        assertTrue(message.endsWith(" (backup " + name + "); the scratch database was dropped"), message);
        f.assertFailedWith(result, message);
        assertTrue(f.job(result).diagnostic() != null && !f.job(result).diagnostic().isBlank());
    }

    @Test
    void aBackupTruncatedInItsTableOfContentsFailsBeforeAnyDatabaseIsCreated() {
        Fixture f = new Fixture();
        String name = f.backUp(Instant.now(), Arrays.copyOf(BackupFiles.dump(pg, f.db), 1500), null, null);

        Map<String, Object> result = f.drill();

        String message = (String) result.get("message");
        assertTrue(message.startsWith("Restore drill failed: Backup file " + name + " cannot be read by pg_restore "),
                message);
        assertTrue(message.endsWith(" (backup " + name + "); no scratch database was created"), message);
        f.assertFailedWith(result, message);
    }

    @Test
    void aFlippedByteFailsOnTheChecksumRecordedWhenTheBackupWasWritten() {
        Fixture f = new Fixture();
        byte[] dump = BackupFiles.dump(pg, f.db);
        // a letter of the database name in the archive's header: pg_restore reads it happily, the checksum does not
        byte[] flipped = dump.clone();
        int at = new String(dump, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf(f.db);
        assertTrue(at > 0);
        flipped[at] ^= 0x20;
        String name = f.backUp(Instant.now(), flipped, RestoreIT.sha256(dump), COUNTS);

        Map<String, Object> result = f.drill();

        f.assertFailedWith(result, "Restore drill failed: backup file " + name + " does not match the checksum "
                + "recorded when it was written (SHA-256 " + RestoreIT.sha256(dump) + ", " + dump.length + " bytes); "
                + "it was changed or damaged in storage (backup " + name + "); the scratch database was dropped");
    }

    @Test
    void rowCountsThatDifferFromTheRecordedOnesFailNamingEachTable() {
        Fixture f = new Fixture();
        byte[] dump = BackupFiles.dump(pg, f.db);
        Map<String, Long> tampered = new LinkedHashMap<>(COUNTS);
        tampered.put("public.orders", 301L);
        tampered.put("public.ghost", 5L);
        String name = f.backUp(Instant.now(), dump, RestoreIT.sha256(dump), tampered);

        Map<String, Object> result = f.drill();

        f.assertFailedWith(result, "Restore drill failed: row counts differ from what the backup recorded: "
                + "public.ghost is missing (the backup recorded 5 rows), public.orders has 300 rows, the backup "
                + "recorded 301 (backup " + name + "); the scratch database was dropped");
    }

    @Test
    void aTableOfTheArchiveMissingAfterTheRestoreFailsTheDrill() {
        // pg_restore succeeds, then a table vanishes from the scratch database before the checks
        Path tools = FakeTools.wrapping("pg_restore", """
                "$REAL" "$@" || exit $?
                for a in "$@"; do case "$a" in --dbname=*) db="${a#--dbname=}";; esac; done
                if [ -n "$db" ]; then "$ROOT/bin/psql" -X -q -d "$db" -c 'drop table readings_2026'; fi
                """);
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));
        String name = f.goodBackup();

        Map<String, Object> result = f.drill();

        f.assertFailedWith(result, "Restore drill failed: the restored database lacks 1 of the archive's 5 tables: "
                + "TABLE public readings_2026 (backup " + name + "); the scratch database was dropped");
    }

    @Test
    void aDrillWhoseTimeRunsOutBeforeItsChecksStillDropsItsScratchDatabase() throws Exception {
        // the restore finishes, then waits for the test: the test moves the drill's clock past its deadline first
        Path tools = FakeTools.wrapping("pg_restore", """
                "$REAL" "$@"; code=$?
                case "$*" in *--dbname=*) touch "$ROOT/restored"; while [ ! -e "$ROOT/go" ]; do sleep 0.05; done;; esac
                exit $code
                """);
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));
        String name = f.goodBackup();

        CompletableFuture<Map<String, Object>> running = CompletableFuture.supplyAsync(f::drill);
        Waits.until(Duration.ofMinutes(2), "the restore", () -> Files.exists(tools.resolve("restored")));
        f.stack.ticker.advance(LONG);
        Files.createFile(tools.resolve("go"));
        Map<String, Object> result = running.get(2, TimeUnit.MINUTES);

        f.assertFailedWith(result, "Restore drill failed: the drill's time ran out before the restored database could "
                + "be checked (backup " + name + "); the scratch database was dropped");
    }

    @Test
    void withoutABackupOfThisEnvironmentTheDrillFailsClearly() {
        Fixture f = new Fixture(); // the bucket holds production's backup only

        Map<String, Object> result = f.drill();

        f.assertFailedWith(result, "Restore drill failed: there is no backup of 'staging' to restore");
        assertNull(f.job(result).filename());
    }

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

    static void putParameter(String name, String value) {
        try (var ssm = new dev.pgbackup.common.AwsClients(java.util.Optional.of(
                dev.pgbackup.testsupport.MotoServer.get().endpoint()), true).ssm()) {
            ssm.putParameter(b -> b.name(name).value(value)
                    .type(software.amazon.awssdk.services.ssm.model.ParameterType.SECURE_STRING).overwrite(true));
        }
    }
}
