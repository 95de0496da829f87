package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.Waits;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A restore against the worker's own deadline: nothing is dropped or swapped without time left for it, and a
 * stuck pg_restore is killed before the worker runs out of time.
 */
class RestoreDeadlinesIT extends RestoreFixtures {

    @Test
    void inPlaceModeDoesNotDropTheDatabaseWithoutTimeForTheRestore() throws Exception {
        Fixture f = new Fixture(Map.of("RESTORE_MODE", "in-place"));
        Connection idleSession = pg.connection(f.target).open();

        // 30 s before the deadline: less than the 60 s an in-place restore needs beyond 3 x the check's read
        Map<String, Object> result = runWorker(f, Duration.ofSeconds(30));

        assertEquals("FAILED", result.get("status"));
        String message = (String) result.get("message");
        assertTrue(message.startsWith("Restore refused: reading backup file " + f.productionBackup + " took "),
                message);
        assertTrue(message.contains("s are left before the worker's time limit"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertTrue(allowsConnections(f.target));
        assertTrue(idleSession.isValid(5), "the target's sessions were left alone");
        idleSession.close();
        assertEquals(List.of(), pg.databases(f.target + "_"));
        f.assertNoLeftovers();
    }

    @Test
    void theSwapDoesNotStartWithLessThanNinetySecondsLeft() {
        Fixture f = new Fixture();

        // 85 s before the deadline: enough to restore the copy, too little to start the swap
        Map<String, Object> result = runWorker(f, Duration.ofSeconds(85));

        assertEquals("FAILED", result.get("status"));
        assertEquals("Restore failed: less than 90 s were left before the worker's time limit to swap the databases "
                + "(the restored copy is dropped). The database '" + f.target + "' was not changed",
                result.get("message"));
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertTrue(allowsConnections(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"), "neither a restored copy nor a pre-restore copy");
        f.assertNoLeftovers();
    }

    @Test
    void theSwapStopsAtTheDeadlineWithTheTargetStillInPlace() throws Exception {
        Fixture f = new Fixture();
        // a superuser's session, which the application's role cannot end: the rename keeps failing
        Connection superuser = java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + f.target, "postgres", "");

        CompletableFuture<Map<String, Object>> worker = CompletableFuture
                .supplyAsync(() -> runWorker(f, Duration.ofMinutes(15)));
        Waits.until(Duration.ofMinutes(2), "the swap to block new connections to the target",
                () -> worker.isDone() || !allowsConnections(f.target));
        assertFalse(worker.isDone(), () -> "the worker ended before the swap: " + worker.join());
        f.stack.ticker.advance(Duration.ofMinutes(20)); // the worker's deadline passes while it retries
        Map<String, Object> result = worker.get(2, TimeUnit.MINUTES);

        assertEquals("FAILED", result.get("status"));
        String message = (String) result.get("message");
        assertTrue(message.startsWith("Restore failed: the database '" + f.target + "' could not be taken out of use "
                + "before the worker's time limit"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        // the target never went missing: same name, same rows, open again; the superuser's session untouched
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertTrue(allowsConnections(f.target));
        assertTrue(superuser.isValid(5));
        superuser.close();
        assertEquals(List.of(), pg.databases(f.target + "_"), "neither a restored copy nor a pre-restore copy");
        assertFalse(f.keys("pgbackup/state/").contains(f.stack.wiring.keys.swapJournal()), "no swap left to repair");
        f.assertNoLeftovers();
    }

    @Test
    void aStuckPgRestoreIsKilledBeforeTheWorkerRunsOutOfTime() {
        // --list answers normally; the restore itself hangs without reading its input
        Path tools = FakeTools.wrapping("pg_restore",
                "for a in \"$@\"; do if [ \"$a\" = --list ]; then exec \"$REAL\" \"$@\"; fi; done\nexec sleep 613");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));

        // Lambda would give it 4 s beyond the safety margin
        Map<String, Object> result = runWorker(f, Duration.ofSeconds(4));

        assertEquals("FAILED", result.get("status"));
        String message = (String) result.get("message");
        assertTrue(message.contains("did not finish before the worker's time limit"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        f.assertNoLeftovers();
        Waits.until(Duration.ofSeconds(30), "the stuck pg_restore to be gone", () -> ProcessHandle.allProcesses()
                .noneMatch(p -> p.info().commandLine().orElse("").contains("sleep 613")));
    }
}
