package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every failed tool run explains itself: the job's diagnostic (and its audit line) carries the tool's own error,
 * never empty, and the caller's message its meaning, for the failures operators meet: an unreadable schema, a
 * table locked past the lock wait, a connection dropped mid-dump, an extension the target server lacks.
 */
class ToolDiagnosticsIT {
    static TestPostgres pg;

    @BeforeAll
    static void server() {
        pg = TestPostgres.get();
    }

    static String database() {
        String db = "diag_" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(db);
        SeedData.seed(pg, db, 50, "diagnostics");
        return db;
    }

    static ApiStack stack(String db, Map<String, String> overrides) {
        return ApiStack.create("production", ApiStack.newBucket("diag"), db, overrides);
    }

    /** A failed backup: FAILED, nothing written, and the cause in the job's diagnostic and in its audit line. */
    static JobRecord failedBackup(ApiStack stack, ApiStack.Done done, String meaning, String cause) {
        assertFalse(done.succeeded(), done::toString);
        JobRecord job = done.job();
        assertTrue(job.message().startsWith("Backup failed: pg_dump exited with code 1: " + meaning), job.message());
        assertTrue(job.diagnostic().contains(cause), job.diagnostic());
        assertTrue(stack.stack.audit().contains(cause), "the audit line's diagnostic: " + stack.stack.audit());
        assertEquals(List.of(), stack.stack.wiring.catalog.listAll(), "no backup was written");
        return job;
    }

    @Test
    void anUnreadableSchema() {
        String db = database();
        pg.execute(db, "create schema ledger authorization postgres; create table ledger.entries (id int)");
        ApiStack stack = stack(db, Map.of());

        failedBackup(stack, stack.backup(), "the database user lacks a privilege the tool needs (pg_dump needs "
                + "SELECT", "permission denied for schema ledger");
    }

    @Test
    void aTableLockedPastTheLockWait() throws Exception {
        String db = database();
        // no row counts: counting would wait for the lock first, within its own budget
        ApiStack stack = stack(db, Map.of("BACKUP_LOCK_WAIT_SECONDS", "1", "RECORD_ROW_COUNTS", "false"));
        try (Connection holder = pg.connection(db).open(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("lock table orders in access exclusive mode"); // a migration holding it

            ApiStack.Done done = stack.backup();

            failedBackup(stack, done, "a table could not be locked in time (a long transaction or a schema change "
                    + "holds it)", "canceling statement due to statement timeout");
            assertTrue(done.job().diagnostic().contains("LOCK TABLE"), done.job().diagnostic());
            holder.rollback();
        }
    }

    @Test
    void aConnectionDroppedInTheMiddleOfTheDump() throws Exception {
        String db = database();
        ApiStack stack = stack(db, Map.of("RECORD_ROW_COUNTS", "false"));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection holder = pg.connection(db).open(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            // pg_dump then waits at its LOCK TABLE, connected and mid-dump: where the test ends its session
            s.execute("lock table orders in access exclusive mode");
            Future<ApiStack.Done> backup = pool.submit(stack::backup);
            String pid = Waits.until(Duration.ofMinutes(2), "pg_dump waiting for its lock", () -> pg.query("postgres",
                    "select pid from pg_stat_activity where datname = '" + db + "' and application_name = "
                            + "'pg-backup-lambda' and wait_event_type = 'Lock' and query like 'LOCK TABLE%'")
                    .stream().findFirst().orElse(null));
            pg.query("postgres", "select pg_terminate_backend(" + pid + ")");
            holder.rollback();

            failedBackup(stack, backup.get(), "the connection to the database failed or was lost",
                    "terminating connection due to administrator command");
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * An archive of a database with an extension, restored where the extension is not installed (a new RDS engine
     * version without it): refused by pg_restore, the target unchanged, and the extension named in the diagnostic.
     */
    @Test
    void anExtensionTheTargetServerLacks() throws Exception {
        String name = "diag_ext_" + UUID.randomUUID().toString().substring(0, 6);
        Path extensions = Path.of(pg.query("postgres", "select setting from pg_config where name = 'SHAREDIR'")
                .get(0), "extension");
        Path control = extensions.resolve(name + ".control");
        Path script = extensions.resolve(name + "--1.0.sql");
        Files.writeString(control, "default_version = '1.0'\ntrusted = true\nrelocatable = true\n");
        Files.writeString(script, "create function " + name + "_answer() returns int language sql as 'select 42';\n");
        String db = database();
        try {
            pg.execute(db, "create extension " + name);
            ApiStack stack = stack(db, Map.of());
            ApiStack.Done backup = stack.backup();
            assertTrue(backup.succeeded(), backup::toString);
            Map<String, List<String>> before = pg.snapshot(db);
            Files.delete(control);
            Files.delete(script);

            ApiStack.Done restore = stack.restore(backup.job().filename());

            assertFalse(restore.succeeded(), restore::toString);
            JobRecord job = restore.job();
            assertTrue(job.message().contains("the target server lacks an extension the archive needs"), job.message());
            assertTrue(job.message().endsWith("The database '" + db + "' was not changed"), job.message());
            assertTrue(job.diagnostic().contains(name), job.diagnostic());
            assertTrue(stack.stack.audit().contains(name + ".control"), stack.stack.audit());
            assertEquals(before, pg.snapshot(db));
        } finally {
            Files.deleteIfExists(control);
            Files.deleteIfExists(script);
        }
    }
}
