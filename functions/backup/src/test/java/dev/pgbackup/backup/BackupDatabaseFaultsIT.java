package dev.pgbackup.backup;

import static dev.pgbackup.backup.BackupFaultsFixture.assertNoSecrets;
import static dev.pgbackup.backup.BackupFaultsFixture.onlyJob;
import static dev.pgbackup.backup.BackupFaultsFixture.pg;
import static dev.pgbackup.backup.BackupFaultsFixture.pgDumps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backup worker when the database ends pg_dump's session in the middle of its COPY: the job says FAILED, nothing
 * half-written stays and no pg_dump is left running.
 */
class BackupDatabaseFaultsIT {
    @BeforeAll
    static void seedAndConnect() {
        BackupFaultsFixture.seed();
    }

    @AfterAll
    static void disconnect() {
        BackupFaultsFixture.closeDirect();
    }

    // ---------------------------------------------------------------- the database goes away

    @Test
    void theDatabaseEndingTheDumpSessionFailsTheBackupAndLeavesNothing() throws Exception {
        // COPY text of the orders is about twice what pg_dump writes; what is left after the 9 MB the wrapper passes
        // on must be far more than the loopback socket buffers (~10 MB) hold, or the server may finish its COPY
        // into them before the session is ended and the dump succeeds (it did, under load, with 14,000 rows)
        String database = "huge_source";
        if (!pg.databaseExists(database)) {
            pg.createDatabase(database);
            SeedData.seed(pg, database, 45000, "huge");
        }
        // more than one part of real output, then the wrapper stops reading until the test has ended the
        // session (pg_dump blocks on its full pipe in the middle of COPY); pipefail keeps pg_dump's exit code
        Path tools = FakeTools.wrapping("pg_dump", "set -o pipefail\n\"$REAL\" \"$@\" | { head -c 9000000; "
                + "touch \"$ROOT/paused\"; for i in $(seq 600); do [ -e \"$ROOT/go\" ] && break; sleep 0.1; done; cat; }");
        try (BackupFaultsFixture f = new BackupFaultsFixture(database, Map.of("PG_TOOLS_DIR", tools.toString()))) {
            CompletableFuture<Map<String, Object>> worker = CompletableFuture
                    .supplyAsync(() -> BackupWorkerFixture.runScheduled(f.stack));
            // pg_dump is blocked in the middle of its COPY, on a full pipe (the SDK holds the 9 MB: it starts a
            // multipart upload only once two whole parts are buffered)
            List<String> sessions = Waits.until(Duration.ofSeconds(60), "pg_dump paused in its COPY", () -> {
                assertFalse(worker.isDone(), () -> "the backup ended first: " + worker.join());
                List<String> s = f.newDumpSessions();
                // the server itself blocked on the client mid-COPY: ending the session now must cut the data
                return Files.exists(tools.resolve("paused")) && !s.isEmpty() && pg.query("postgres",
                        "select 1 from pg_stat_activity where pid = " + s.get(0)
                                + " and state = 'active' and wait_event = 'ClientWrite'")
                        .size() == 1 ? s : null;
            });
            assertEquals(1, sessions.size(), sessions.toString());
            assertFalse(pgDumps().isEmpty(), "the probe for a running pg_dump sees this one");
            assertEquals(List.of("t"), pg.query("postgres", "select pg_terminate_backend(" + sessions.get(0) + ")"));
            Files.writeString(tools.resolve("go"), "");

            Map<String, Object> result = worker.get(2, TimeUnit.MINUTES);

            assertEquals("FAILED", result.get("status"), result.toString());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: pg_dump exited with code 1: the connection to the database "
                    + "failed or was lost (no backup was written; details in job "), message);
            JobRecord job = onlyJob(f);
            assertEquals(JobRecord.Status.FAILED, job.status());
            assertTrue(job.diagnostic().contains("terminating connection due to administrator command")
                    || job.diagnostic().contains("server closed the connection"), job.diagnostic());
            assertNoSecrets(f, message);
            f.assertNothingLeftBehind();
        }
    }
}
