package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Hashes;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.ReadmeExamples;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The sanitising script and the statistics through the restore API against a real PostgreSQL: a production backup
 * restored into staging is masked by docs/refresh.md's script inside the new database before the swap, analysed, and only
 * then put in staging's place; a failing script, or one that cannot be read, leaves staging as it was; a restore of
 * staging's own backup is never masked. (The scheduled refresh and a session watching staging during it:
 * ScheduledRefreshIT in the backup module.)
 */
class SanitizeIT {
    /** Records where the script ran: proof that it ran in the database being built, not in staging's. */
    static final String WHERE_IT_RAN = "\ncreate table sanitized_in as select current_database() as db;\n";

    static String readmeScriptParameter() {
        return CrossEnvironmentFixture.putScriptParameter("/pharmatracker/staging/sanitize-"
                + UUID.randomUUID().toString().substring(0, 8), ReadmeExamples.sanitizeScript() + WHERE_IT_RAN);
    }

    static String sha256(String script) {
        return Hashes.hex(Hashes.sha256(script.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aProductionBackupIsMaskedInsideTheNewDatabaseBeforeTheSwapAndAnalysed() {
        String parameter = readmeScriptParameter();
        CrossEnvironmentFixture f = new CrossEnvironmentFixture(Map.of("SANITIZE_SCRIPT_PARAMETER", parameter));
        f.safetyBackup();

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        // production's rows, masked: the first query after the swap sees the script's work
        assertEquals(List.of("Customer 1|customer1@example.invalid|+00 0000 000001"), f.pg.query(f.target,
                "select name || '|' || email || '|' || phone from customers order by id limit 1"));
        assertEquals(List.of("0"), f.pg.query(f.target, "select count(*) from customers where name like '%production%' "
                + "or email not like '%@example.invalid' or phone like '+91%'"));
        assertEquals(List.of("0", "0"), f.pg.query(f.target, "select count(*) from sessions union all "
                + "select count(*) from api_tokens"));
        assertEquals(List.of("300"), f.pg.query(f.target, "select count(*) from orders"), "production's orders");
        // it ran inside the database being built (<db>_restore_<ts>), which only then became staging
        String ranIn = f.pg.query(f.target, "select db from sanitized_in").get(0);
        assertTrue(ranIn.startsWith(DatabaseNames.base(f.target) + "_restore_"), ranIn);
        // statistics: every table analysed before the swap, the planner knows the rows
        assertEquals(List.of("0"), f.pg.query(f.target, "select count(*) from pg_stat_user_tables where last_analyze "
                + "is null"));
        assertEquals(List.of("200"), f.pg.query(f.target, "select reltuples::bigint from pg_class where oid = "
                + "'public.customers'::regclass"));
        assertTrue(Integer.parseInt(f.pg.query(f.target, "select count(*) from pg_stats where schemaname = 'public' "
                + "and tablename = 'orders'").get(0)) > 0);

        JobRecord job = f.jobs().get(0);
        String script = ReadmeExamples.sanitizeScript() + WHERE_IT_RAN;
        assertTrue(job.details().contains("sanitised by ssm:" + parameter + " (sha256 " + sha256(script) + ")"),
                job.details());
        assertTrue(job.timings().containsKey("sanitize") && job.timings().containsKey("analyze"), job.timings()
                .toString());
        List<String> timed = List.copyOf(job.timings().keySet());
        assertTrue(timed.indexOf("pg_restore") < timed.indexOf("sanitize")
                && timed.indexOf("sanitize") < timed.indexOf("analyze")
                && timed.indexOf("analyze") < timed.indexOf("swap"), timed.toString());
        String audit = f.stack.audit();
        assertTrue(audit.contains("\"sanitized\":\"ssm:" + parameter + " (sha256 " + sha256(script) + ")\""), audit);
        String everything = audit + f.raw("pgbackup/") + String.join("\n", f.responses);
        assertFalse(everything.contains("example.invalid") || everything.contains("TRUNCATE"),
                "the script's text is never logged or recorded");
    }

    @Test
    void aFailingScriptLeavesStagingAsItWasAndTheNewDatabaseIsDropped() {
        String key = "pgbackup/sanitize/pharmatracker-staging/sanitize.sql";
        String script = "UPDATE customers SET email = 'masked@example.invalid' || id;\n"
                + "TRUNCATE sessions, api_tokens, audit_log;\n";
        CrossEnvironmentFixture f = new CrossEnvironmentFixture(Map.of("SANITIZE_SCRIPT_S3_KEY", key));
        f.putObject(key, script);
        f.safetyBackup();

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) RestoreIT.bodyOf(response).get("message");
        assertEquals("Restore failed: the sanitising script s3:" + key + " (sha256 " + sha256(script) + ") failed with "
                + "SQLSTATE 42P01 (a table that does not exist) (the restored database is dropped). The database '"
                + f.target + "' was not changed", message);
        assertEquals(f.stagingSnapshot, f.pg.snapshot(f.target), "staging exactly as it was");
        assertEquals(List.of(), f.beside(), "the database being built is gone");
        assertEquals(List.of(), f.journal());
        assertEquals(List.of(), f.keys("pgbackup/locks/"));
        JobRecord job = f.jobs().get(0);
        assertEquals("sanitising script: ERROR 42P01: relation \"audit_log\" does not exist", job.diagnostic());
        assertFalse(
                (f.stack.audit() + f.raw("pgbackup/jobs/") + f.raw("pgbackup/state/"))
                        .contains("masked@example.invalid"),
                "the script's text is never logged or recorded");
    }

    @Test
    void aTableOnlyRestoreRunsTheScriptAndSaysWhenItNamesATableNotRestored() {
        String key = "pgbackup/sanitize/pharmatracker-staging/sanitize.sql";
        CrossEnvironmentFixture f = new CrossEnvironmentFixture(Map.of("SANITIZE_SCRIPT_S3_KEY", key));
        Map<String, Object> customersOnly = CrossEnvironmentFixture.body(f.productionBackup, "tables",
                List.of("public.customers"));
        // docs/refresh.md's script truncates sessions, which a restore of customers alone does not bring
        f.putObject(key, ReadmeExamples.sanitizeScript());

        APIGatewayV2HTTPResponse unguarded = f.restore(customersOnly);

        assertEquals(500, unguarded.getStatusCode(), unguarded.getBody());
        assertTrue(
                ((String) RestoreIT.bodyOf(unguarded).get("message")).contains("SQLSTATE 42P01 (a table that does not "
                        + "exist: this restore has only some tables, and the script names one it does not have; guard such "
                        + "statements with to_regclass(...)"),
                unguarded.getBody());
        assertEquals(List.of(), f.beside(), "the failed copy is dropped");
        assertEquals(f.stagingSnapshot, f.pg.snapshot(f.target));

        // guarded as docs/refresh.md shows, the same script serves a whole and a table-only restore
        f.putObject(key, "UPDATE customers SET email = 'customer' || id || '@example.invalid';\n"
                + "DO $$ BEGIN IF to_regclass('public.sessions') IS NOT NULL THEN TRUNCATE sessions; END IF; END $$;\n");
        f.clock.advance(java.time.Duration.ofSeconds(1));
        APIGatewayV2HTTPResponse guarded = f.restore(customersOnly);

        assertEquals(200, guarded.getStatusCode(), guarded.getBody());
        String copy = RestoreBesideIT.copyOf(guarded);
        assertEquals(List.of("0"), f.pg.query(copy, "select count(*) from customers where email not like "
                + "'%@example.invalid'"));
        assertEquals(List.of("0"), f.pg.query(copy, "select count(*) from pg_tables where tablename = 'sessions'"));
        assertEquals(f.stagingSnapshot, f.pg.snapshot(f.target), "a copy leaves staging as it was");
    }

    @Test
    void aRestoreOfStagingsOwnBackupIsARecoveryAndIsNeverMasked() {
        CrossEnvironmentFixture f = new CrossEnvironmentFixture(Map.of("SANITIZE_SCRIPT_PARAMETER",
                readmeScriptParameter()));
        String own = f.safetyBackup();
        f.clock.advance(java.time.Duration.ofSeconds(1));
        f.safetyBackup();

        APIGatewayV2HTTPResponse response = f.restore(own);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(f.stagingSnapshot, f.pg.snapshot(f.target));
        assertEquals(CrossEnvironmentFixture.FIRST_STAGING_NAME, f.firstCustomer(f.target));
        JobRecord job = f.jobs().get(0);
        assertTrue(job.details().contains("sanitising script not run: the backup is this environment's own (a recovery "
                + "is not masked)"), job.details());
        assertFalse(job.timings().containsKey("sanitize"), job.timings().toString());
        assertTrue(job.timings().containsKey("analyze"), job.timings().toString());
    }

    @Test
    void aScriptThatCannotBeReadRefusesTheRestoreBeforeAnythingIsCreated() {
        CrossEnvironmentFixture f = new CrossEnvironmentFixture(Map.of("SANITIZE_SCRIPT_PARAMETER",
                "/pharmatracker/staging/no-such-script-" + UUID.randomUUID()));
        f.safetyBackup();

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) RestoreIT.bodyOf(response).get("message");
        assertTrue(
                message.startsWith("Restore refused: the sanitising script ssm:/pharmatracker/staging/no-such-script-"),
                message);
        assertTrue(
                message.endsWith("could not be read (A configuration parameter is missing from SSM (its name is in the "
                        + "function's log)); a backup of another environment is never restored without it. The database '"
                        + f.target + "' was not changed"),
                message);
        assertEquals(f.stagingSnapshot, f.pg.snapshot(f.target));
        assertEquals(List.of(), f.beside());
    }
}
