package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The restore API and worker against a real PostgreSQL, the layer's real pg_restore and moto's S3/SSM
 * over HTTP. A staging stack restores a production backup into the staging database, as in the field: the main
 * path in both modes, the job's progress and the events/ request file. Failures, deadlines, one restore at a
 * time, checksums and parallel restores are in RestoreFailuresIT, RestoreDeadlinesIT, RestoreJobsIT,
 * RestoreChecksumsIT and ParallelRestoreIT.
 */
class RestoreIT extends RestoreFixtures {

    // ---------------------------------------------------------------- the main path

    @Test
    void aProductionBackupRestoredByTheStagingStackReplacesTheStagingDatabaseRowForRow() throws Exception {
        Fixture f = new Fixture();
        Connection idleSession = pg.connection(f.target).open();

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("success", true);
        expected.put("message", "Database restored successfully from backup: " + f.productionBackup);
        assertEquals(expected, bodyOf(response));
        // the staging database now holds production's rows, sequences, views, functions and indexes
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        // production itself was never touched
        assertEquals(productionSnapshot, pg.snapshot(PRODUCTION_DB));
        // the old staging database is kept, whole, for recovery, and can be connected to
        List<String> copies = pg.databases(f.target + "_pre_restore_");
        assertEquals(1, copies.size(), copies.toString());
        assertEquals(f.stagingSnapshot, pg.snapshot(copies.get(0)));
        assertTrue(allowsConnections(f.target));
        assertTrue(allowsConnections(copies.get(0)));
        assertEquals(List.of(TestPostgres.APP_USER), pg.query("postgres",
                "select pg_get_userbyid(datdba) from pg_database where datname = '" + f.target + "'"));
        // the session on the old database was ended for the swap
        assertFalse(idleSession.isValid(5));
        idleSession.close();
        f.assertNoLeftovers();

        List<JobRecord> jobs = f.jobs();
        assertEquals(1, jobs.size());
        JobRecord job = jobs.get(0);
        assertEquals(JobRecord.Status.SUCCEEDED, job.status());
        assertEquals(JobRecord.Type.RESTORE, job.type());
        assertEquals("staging", job.environment());
        assertEquals("ops@example.com", job.requestedBy());
        assertEquals(Long.valueOf(productionDump.length), job.bytes());
        assertTrue(job.details().contains("previous database kept as '" + copies.get(0) + "'"), job.details());
        String audit = f.stack.audit();
        assertTrue(audit.contains("\"action\":\"restore.request\""), audit);
        assertTrue(audit.contains("\"action\":\"restore.job\""), audit);
        assertEquals(2, audit.lines().filter(l -> l.contains("\"result\":\"SUCCEEDED\"")).count(), audit);
        assertTrue(audit.contains("\"subject\":\"ops@example.com\""), audit);
        assertTrue(audit.contains("\"filename\":\"" + f.productionBackup + "\""), audit);
        f.assertNoSecretsLeaked();
    }

    @Test
    void thePreRestoreCopyIsDroppedWhenConfigured() {
        Fixture f = new Fixture(Map.of("KEEP_PRE_RESTORE_COPY", "false"));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        assertTrue(f.jobs().get(0).details().contains("previous database dropped"), f.jobs().get(0).details());
        f.assertNoLeftovers();
    }

    @Test
    void inPlaceModeDropsAndRecreatesTheDatabase() throws Exception {
        Fixture f = new Fixture(Map.of("RESTORE_MODE", "in-place"));
        Connection idleSession = pg.connection(f.target).open();

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        assertFalse(idleSession.isValid(5));
        idleSession.close();
        assertTrue(f.jobs().get(0).details().startsWith("mode in-place"), f.jobs().get(0).details());
        f.assertNoLeftovers();
        f.assertNoSecretsLeaked();
    }

    @Test
    void aDatabaseNameThatNeedsQuotingAndFillsSixtyThreeBytes() {
        String name = "Stg-Restore-Target-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        name = name + "x".repeat(DatabaseNames.MAX_BYTES - name.length());
        Fixture f = new Fixture(Map.of(), Clock.systemUTC(), true, name);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(name));
        List<String> copies = pg.databases(DatabaseNames.base(name) + "_pre_restore_");
        assertEquals(1, copies.size(), pg.databases("Stg-Restore-").toString());
        assertTrue(copies.get(0).getBytes(StandardCharsets.UTF_8).length <= DatabaseNames.MAX_BYTES, copies.get(0));
        assertEquals(f.stagingSnapshot, pg.snapshot(copies.get(0)));
        assertEquals(List.of(), pg.databases(DatabaseNames.base(name) + "_restore_"));
    }

    @Test
    void pgRestoreGetsTheConnectionOnlyThroughItsEnvironment() throws Exception {
        Path tools = FakeTools.wrapping("pg_restore",
                "echo \"$@\" >> \"$ROOT/args.txt\"\n"
                        + "env | cut -d= -f1 >> \"$ROOT/envnames.txt\"\n"
                        + "exec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        String args = Files.readString(tools.resolve("args.txt"));
        assertTrue(args.contains("--list"), args);
        assertTrue(args.contains("--no-owner --no-acl --exit-on-error --single-transaction"), args);
        assertFalse(args.contains(TestPostgres.APP_PASSWORD), args);
        assertFalse(args.contains("postgresql://"), args);
        assertFalse(args.contains(TestPostgres.APP_USER), args);
        assertTrue(Files.readString(tools.resolve("envnames.txt")).contains("PGPASSWORD"));
        f.assertNoSecretsLeaked();
    }

    @Test
    void theJobReportsItsPhaseAndProgressWhileItRuns() throws Exception {
        // a pg_restore that is slow to start reading, so the job is seen mid-way
        Path tools = FakeTools.wrapping("pg_restore",
                "for a in \"$@\"; do case \"$a\" in --dbname=*) sleep 4;; esac; done\n"
                        + "exec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString(), "WAIT_BUDGET_SECONDS", "0"));

        APIGatewayV2HTTPResponse started = f.restore(f.productionBackup);

        assertEquals(202, started.getStatusCode(), started.getBody());
        String jobId = (String) bodyOf(started).get("jobId");
        JobRecord.Progress seen = Waits.until(Duration.ofSeconds(60), "a progress report", () -> f.stack.wiring.jobs
                .find(jobId).map(JobRecord::progress).filter(p -> "restoring data".equals(p.phase())).orElse(null));
        assertEquals(Long.valueOf(productionDump.length), seen.bytesTotal());
        JobRecord done = Waits.until(Duration.ofMinutes(2), "the job to finish",
                () -> f.stack.wiring.jobs.find(jobId).filter(JobRecord::finished).orElse(null));
        assertEquals(JobRecord.Status.SUCCEEDED, done.status(), done.message());
        assertEquals(null, done.progress(), "a finished job has no progress, only its outcome and timings");
        f.stack.awaitWorkers();
        f.assertNoLeftovers();
    }

    // ---------------------------------------------------------------- events/

    @Test
    void theRestoreEventFileIsAnHttpApiRequestTheHandlerUnderstands() throws Exception {
        Fixture f = new Fixture();
        ObjectMapper lenient = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        APIGatewayV2HTTPEvent event = lenient.readValue(RepoPaths.root().resolve("events/restore.json").toFile(),
                APIGatewayV2HTTPEvent.class);
        assertEquals("POST /api/setting/restore", event.getRouteKey());
        assertEquals("/api/setting/restore", event.getRawPath());
        Map<String, Object> body = map(event.getBody());
        assertEquals(List.of("filename", "passkey"), new ArrayList<>(body.keySet()));

        // as shipped (placeholder token): refused
        assertEquals(401, f.handle(event).getStatusCode());
        // with a real token and passkey: runs
        Map<String, String> headers = new HashMap<>(event.getHeaders());
        headers.put("authorization", "Bearer " + token());
        event.setHeaders(headers);
        event.setBody(body(f.productionBackup, TestStack.PASSKEY));
        APIGatewayV2HTTPResponse response = f.handle(event);
        assertEquals(200, response.getStatusCode(), response.getBody());
    }
}
