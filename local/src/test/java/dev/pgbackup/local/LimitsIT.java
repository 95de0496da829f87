package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestPostgres;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the product's role (the database owner, no superuser, as on RDS) cannot carry through a backup and a
 * {@code --no-owner --no-acl} restore: each kind of fixtures/object-kinds/limits, alone in a database, built by the
 * superuser, on the newest major. Each outcome is written down here with its reason; a change in any is a change
 * in what operators can rely on.
 */
class LimitsIT {
    static TestPostgres pg;

    @BeforeAll
    static void startServer() {
        pg = TestPostgres.start(RepoPaths.root().resolve("local/target/pg-servers/18.jar"));
    }

    @AfterAll
    static void stopServer() {
        pg.stop();
    }

    enum Outcome {
        BACKUP_FAILS, RESTORE_FAILS, RESTORED_WITHOUT_IT
    }

    /**
     * {@code error}: what the tool's stderr (the job's diagnostic) says; {@code message}: what the job tells the
     * caller; {@code missing}: for a restore that succeeds, how the restored database differs.
     */
    record Limit(String name, Outcome outcome, String error, String message, List<String> missing, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final String LACKS_PRIVILEGE = "the database user lacks a privilege the tool needs";

    static Stream<Limit> limits() {
        return Stream.of(
                restoreFails("base-type", "must be superuser to create a base type", LACKS_PRIVILEGE,
                        "base types need I/O functions in C or internal, which only a superuser may create"),
                restoreFails("binary-cast", "must be owner of type bytea or type text", LACKS_PRIVILEGE,
                        "a cast WITHOUT FUNCTION needs a superuser, any cast the owner of one of its types"),
                restoreFails("event-trigger", "permission denied to create event trigger \"log_ddl\"", LACKS_PRIVILEGE,
                        "only a superuser may create event triggers (on RDS, rds_superuser)"),
                new Limit("force-row-level-security", Outcome.BACKUP_FAILS,
                        "query would be affected by row-level security policy for table \"tenants\"",
                        "a table's row-level security policy would hide rows from the backup", List.of(),
                        "with FORCE ROW LEVEL SECURITY the owner sees only the rows its policies let through, and "
                                + "pg_dump refuses a partial table; the backup role needs BYPASSRLS"),
                restoreFails("internal-language-function", "permission denied for language internal", LACKS_PRIVILEGE,
                        "functions in untrusted languages (internal, C) need a superuser"),
                restoreFails("leakproof-function", "only superuser can define a leakproof function", LACKS_PRIVILEGE,
                        "LEAKPROOF is a superuser's promise"),
                restoreFails("operator-class", "must be superuser to create an operator family", LACKS_PRIVILEGE,
                        "operator classes and families need a superuser (a wrong one can crash the server)"),
                restoreFails("publication-all-tables", "must be superuser to create FOR ALL TABLES publication",
                        LACKS_PRIVILEGE, "FOR ALL TABLES (and FOR TABLES IN SCHEMA) publications need a superuser"),
                new Limit("subscription", Outcome.RESTORED_WITHOUT_IT,
                        "pg_dump warned: pg_dump: warning: subscriptions not dumped because current user is not a "
                                + "superuser",
                        "", List.of(
                                "schema only in source: -- Name: from_elsewhere; Type: SUBSCRIPTION; Schema: -; Owner: -",
                                "inventory only in source: subscription|from_elsewhere"),
                        "pg_dump dumps subscriptions only for a superuser (it warns, and the backup succeeds without)"),
                new Limit("superuser-large-object", Outcome.BACKUP_FAILS,
                        "permission denied for large object 4300001", LACKS_PRIVILEGE, List.of(),
                        "the owner may not read a large object another role owns, so pg_dump stops"),
                restoreFails("superuser-parameter", "permission denied to set parameter \"log_min_duration_statement\"",
                        LACKS_PRIVILEGE, "a function's SET of a superuser-only parameter needs a superuser (15+: or "
                                + "GRANT SET ON PARAMETER)"),
                restoreFails("table-access-method", "permission denied to create access method \"heap_copy\"",
                        LACKS_PRIVILEGE, "access methods need a superuser"),
                restoreFails("text-search-template-parser", "must be superuser to create text search parsers",
                        LACKS_PRIVILEGE, "text search parsers and templates are C functions: superuser only"),
                restoreFails("untrusted-extension", "permission denied to create extension \"postgres_fdw\"",
                        LACKS_PRIVILEGE, "only trusted extensions may be created by a database owner"));
    }

    static Limit restoreFails(String name, String error, String meaning, String reason) {
        return new Limit(name, Outcome.RESTORE_FAILS, error, meaning, List.of(), reason);
    }

    @Test
    void everyLimitScriptHasItsOutcomeWrittenDown() {
        assertEquals(ObjectKinds.limits(), limits().map(Limit::name).toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("limits")
    void whatTheOwnerCannotCarry(Limit limit) {
        String source = RoundTrip.newDatabase(pg, "limit_");
        ObjectKinds.loadLimit(pg, source, limit.name());
        RoundTrip trip = RoundTrip.of(pg, source, Map.of("RESTORE_JOBS", "1"));

        if (limit.outcome() == Outcome.BACKUP_FAILS) {
            JobRecord backup = RoundTrip.backup(trip.production());
            System.out.printf("%s: backup %s: %s%n", limit.name(), backup.status(), backup.message());
            assertEquals(JobRecord.Status.FAILED, backup.status(), limit.reason());
            assertTrue(backup.message().contains(limit.message()), backup.message());
            assertTrue(backup.diagnostic().contains(limit.error()), backup.diagnostic());
            assertEquals(List.of(), trip.production().wiring.catalog.listAll(), "no backup is listed");
            return;
        }
        DatabaseShape source0 = DatabaseShape.of(pg, source);
        DatabaseShape target0 = DatabaseShape.of(pg, trip.target());
        JobRecord backup = RoundTrip.backup(trip.production());
        assertEquals(JobRecord.Status.SUCCEEDED, backup.status(), backup.message() + " / " + backup.diagnostic());
        JobRecord restore = trip.restore(backup.filename());
        System.out.printf("%s: restore %s: %s%n", limit.name(), restore.status(), restore.message());
        if (limit.outcome() == Outcome.RESTORE_FAILS) {
            assertEquals(JobRecord.Status.FAILED, restore.status(), limit.reason());
            assertTrue(
                    restore.message().startsWith("Restore failed: pg_restore exited with code 1: " + limit.message()),
                    restore.message());
            assertTrue(restore.diagnostic().contains(limit.error()), restore.diagnostic());
            assertEquals(List.of(), target0.differences(DatabaseShape.of(pg, trip.target())),
                    "the target is unchanged");
            assertEquals(List.of(), pg.databases(trip.target() + "_"), "no restored copy is left");
        } else {
            assertEquals(JobRecord.Status.SUCCEEDED, restore.status(),
                    restore.message() + " / " + restore.diagnostic());
            assertEquals(limit.missing(), source0.differences(DatabaseShape.of(pg, trip.target())), limit.reason());
            // what the backup left out is said where the operator reads the backup: its job's details
            assertTrue(backup.details().contains(limit.error()), backup.details());
        }
    }
}
