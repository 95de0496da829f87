package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.Waits;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The admin session against a real server, as the application's role (no superuser, no pg_signal_backend): dropping
 * a database as restores do, and taking a fill's commit setting back only on the server session that set it.
 */
class AdminSessionIT {
    private static final TestPostgres pg = TestPostgres.get();

    @Test
    void aSessionTheRoleMayNotEndDoesNotMakeTheDropFailWhileItGoesAway() throws Exception {
        // What an autovacuum worker is to DROP DATABASE ... WITH (FORCE): a session of a role we are not, which
        // FORCE refuses outright (it failed a clean-clone CI run that way). Here another login role stands in
        // for it, deterministically: it leaves once the drop is waiting for it.
        String db = "admin_session_" + Long.toHexString(System.nanoTime());
        pg.createDatabase(db);
        pg.admin("do $$ begin if not exists (select from pg_roles where rolname = 'someone_else') then "
                + "create role someone_else login password 'someone-else-pw'; end if; end $$");
        Connection other = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + db
                + "?sslmode=disable", "someone_else", "someone-else-pw");
        try (AdminSession admin = AdminSession.open(pg.connection("postgres"), List.of())) {
            CompletableFuture<Void> drop = CompletableFuture.runAsync(() -> {
                try {
                    admin.dropDatabase(db);
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
            // the drop is waiting for the other session (or has already failed, as FORCE alone does)
            Waits.until(Duration.ofSeconds(60), "the drop to wait for the other session, or to end", () -> drop.isDone()
                    || !pg.query("postgres", "select pid from pg_stat_activity where state = 'active' "
                            + "and query like 'DROP DATABASE%" + db + "%'").isEmpty());
            other.close();
            drop.get(120, TimeUnit.SECONDS);
        } finally {
            other.close();
        }
        assertFalse(pg.databaseExists(db));
        assertEquals(List.of(), pg.databases(db));
        assertTrue(other.isClosed());
    }

    @Test
    void aFillsCommitSettingIsTakenBackOnlyOnTheServerSessionThatSetIt() throws Exception {
        String db = "admin_flushes_" + Long.toHexString(System.nanoTime());
        pg.createDatabase(db);
        try {
            try (AdminSession admin = AdminSession.open(pg.connection("postgres"), List.of())) {
                assertTrue(admin.skipCommitFlushes(db));
                assertEquals(List.of("synchronous_commit=off"), ownSettings(db));
                // what a new server session behind a proxy that kept the connection would be: unmarked
                admin.execute("RESET " + CommitFlushes.MARK);
                SQLException moved = assertThrows(SQLException.class, () -> admin.resumeCommitFlushes(db));
                assertTrue(moved.getMessage().contains("no longer the server session that began the restore"),
                        moved.getMessage());
                assertEquals(List.of("synchronous_commit=off"), ownSettings(db), "not reset: the caller drops it");
                assertEquals(1, admin.databaseNames().stream().filter(db::equals).count(), "the session still works");
            }
            try (AdminSession admin = AdminSession.open(pg.connection("postgres"), List.of())) {
                assertTrue(admin.skipCommitFlushes(db));
                admin.resumeCommitFlushes(db);
                assertEquals(List.of(), ownSettings(db));
                // nothing left to reset (a script's ALTER DATABASE ... RESET ALL): it still commits, and succeeds
                assertTrue(admin.skipCommitFlushes(db));
                pg.admin("alter database " + db + " reset all");
                admin.resumeCommitFlushes(db);
                assertEquals(List.of(), ownSettings(db));
            }
        } finally {
            pg.dropDatabase(db);
        }
    }

    private static List<String> ownSettings(String database) {
        return pg.query("postgres", "select array_to_string(s.setconfig, ',') from pg_db_role_setting s "
                + "join pg_database d on d.oid = s.setdatabase where d.datname = '" + database + "' and s.setrole = 0");
    }
}
