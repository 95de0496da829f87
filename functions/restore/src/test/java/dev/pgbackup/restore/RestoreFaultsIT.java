package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.storage.LastRestore;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.MutableClock;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The restore API and worker with S3 and SSM behind a {@link FaultProxy}, and a database session that goes away
 * in the middle of pg_restore. Reuses {@link RestoreIT}'s seeded production database, its dump and its fixture.
 */
class RestoreFaultsIT {
    private static TestPostgres pg;

    @BeforeAll
    static void seed() {
        RestoreIT.seed();
        pg = RestoreIT.pg;
    }

    static RestoreIT.Fixture fixture(FaultProxy proxy, Map<String, String> overrides, Clock clock) {
        return new RestoreIT.Fixture(overrides, clock, true, null, proxy.endpoint());
    }

    static FaultProxy proxy() {
        return FaultProxy.start(MotoServer.get().endpoint());
    }

    static Map<String, Object> runWorker(RestoreIT.Fixture f, Map<String, Object> payload) {
        return f.stack.handler(RestoreWorkerHandler.class).handleRequest(payload,
                new TestContext(Duration.ofMinutes(15)));
    }

    static String jobId(Map<String, Object> payload) {
        return (String) payload.get("jobId");
    }

    /** The target as the fixture seeded it, no restore database beside it, no lock, no restore recorded. */
    static void assertTargetAsItWas(RestoreIT.Fixture f) {
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target), "the target is unchanged");
        f.assertNoLeftovers();
        assertEquals(List.of(), pg.databases(f.target + "_"), "no restore or pre-restore database");
    }

    // ---------------------------------------------------------------- SSM and the restore API

    @Test
    void theRestoreApiAnswers503WhenSsmCannotGiveThePasskey() {
        try (FaultProxy proxy = proxy()) {
            RestoreIT.Fixture f = fixture(proxy, Map.of(), Clock.systemUTC());
            // the JWT secret is read (and cached) first; every read after it, the passkey's, finds SSM unreachable
            FaultProxy.Rule unavailable = proxy.when(FaultProxy.ssm("GetParameter")).afterPasses(1).dropConnection();

            APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

            assertEquals(503, response.getStatusCode(), response.getBody());
            assertEquals("application/json", response.getHeaders().get("Content-Type"));
            assertEquals(RestoreIT.error("A configuration parameter could not be read from SSM; try again later"),
                    RestoreIT.bodyOf(response));
            assertTrue(unavailable.injected() > 1, "the SDK retried: " + unavailable.injected());
            List<FaultProxy.Request> reads = proxy.requests(FaultProxy.ssm("GetParameter"));
            assertEquals(200, reads.get(0).status(), reads.toString());
            f.assertNothingStarted();
            assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
            assertTrue(f.stack.audit().contains("\"action\":\"restore.request\""), f.stack.audit());
            f.assertNoSecretsLeaked();
        }
    }

    @Test
    void ssmThrottlingThePasskeyReadOnceIsRetriedByTheSdkAndTheRestoreRuns() {
        try (FaultProxy proxy = proxy()) {
            RestoreIT.Fixture f = fixture(proxy, Map.of(), Clock.systemUTC());
            FaultProxy.Rule once = proxy.when(FaultProxy.ssm("GetParameter")).afterPasses(1).times(1)
                    .respondSsmError(400, "ThrottlingException", "Rate exceeded");

            APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

            assertTrue(response.getStatusCode() == 200 || response.getStatusCode() == 202, response.getBody());
            assertEquals(1, once.injected());
            f.stack.awaitWorkers();
            assertEquals(1, f.workerResults.size());
            assertEquals("SUCCEEDED", f.workerResults.get(0).get("status"), f.workerResults.toString());
            assertEquals(RestoreIT.productionSnapshot, pg.snapshot(f.target));
            f.assertNoLeftovers();
        }
    }

    // ---------------------------------------------------------------- SSM and the restore worker

    @Test
    void ssmUnavailableWhenTheWorkerReadsTheDatabaseUrlFailsTheJobAndChangesNothing() {
        try (FaultProxy proxy = proxy()) {
            RestoreIT.Fixture f = fixture(proxy, Map.of(), Clock.systemUTC());
            Map<String, Object> payload = RestoreIT.startJob(f, f.productionBackup);
            FaultProxy.Rule unavailable = proxy.when(FaultProxy.ssm("GetParameter")).dropConnection();

            Map<String, Object> result = runWorker(f, payload);

            assertEquals("FAILED", result.get("status"), result.toString());
            String message = (String) result.get("message");
            assertEquals("A configuration parameter could not be read from SSM; try again later", message);
            assertTrue(unavailable.injected() > 1, "the SDK retried: " + unavailable.injected());
            JobRecord job = f.stack.wiring.jobs.find(jobId(payload)).orElseThrow();
            assertEquals(JobRecord.Status.FAILED, job.status());
            assertEquals(message, job.message());
            assertTargetAsItWas(f);
            assertFalse(message.contains(TestPostgres.APP_PASSWORD) || message.contains("postgresql://"), message);
            f.assertNoSecretsLeaked();
        }
    }

    @Test
    void aRestoreThatFailedBecauseSsmWasUnavailableCanBeRetriedOnceSsmIsBack() {
        try (FaultProxy proxy = proxy()) {
            RestoreIT.Fixture f = fixture(proxy, Map.of(), Clock.systemUTC());
            Map<String, Object> payload = RestoreIT.startJob(f, f.productionBackup);
            proxy.when(FaultProxy.ssm("GetParameter")).dropConnection();
            assertEquals("FAILED", runWorker(f, payload).get("status"));
            proxy.clearRules();

            // the staging backup taken before the failed attempt is still the way back: the retry may run
            APIGatewayV2HTTPResponse retry = f.restore(f.productionBackup);
            assertEquals(200, retry.getStatusCode(), retry.getBody());
            assertTrue(f.stack.wiring.records.read(f.stack.wiring.keys.lastRestore(), LastRestore.class)
                    .map(r -> !r.jobId().equals(jobId(payload))).orElse(false), "the failed attempt changed nothing");
            assertEquals(RestoreIT.productionSnapshot, pg.snapshot(f.target));
        }
    }

    // ---------------------------------------------------------------- the database goes away mid-restore

    /**
     * A pg_restore that, when it restores into a database, gets the first 2 MB of the archive, then nothing until
     * the test creates {@code go} (it waits in the middle of the orders table's COPY); every other call is the
     * real tool.
     */
    static Path pausingPgRestore() {
        return FakeTools.wrapping("pg_restore", "for a in \"$@\"; do case \"$a\" in --dbname=*) "
                + "{ head -c 2000000; touch \"$ROOT/paused\"; "
                + "for i in $(seq 600); do [ -e \"$ROOT/go\" ] && break; sleep 0.1; done; cat; } | \"$REAL\" \"$@\"; "
                + "exit $?;; esac; done\nexec \"$REAL\" \"$@\"");
    }

    /** Waits for pg_restore's COPY into a database named like {@code datnameLike}, ends it, lets the input go on. */
    static void terminatePgRestoreSession(Path tools, String datnameLike, CompletableFuture<?> worker)
            throws Exception {
        List<String> sessions = Waits.until(Duration.ofSeconds(60), "pg_restore paused in its COPY", () -> {
            assertFalse(worker.isDone(), () -> "the restore ended first: " + worker.join());
            List<String> s = pg.query("postgres", "select pid from pg_stat_activity where application_name = "
                    + "'pg-backup-lambda' and datname like '" + datnameLike + "' and query ilike 'copy%'");
            return Files.exists(tools.resolve("paused")) && !s.isEmpty() ? s : null;
        });
        assertEquals(1, sessions.size(), sessions.toString());
        assertEquals(List.of("t"), pg.query("postgres", "select pg_terminate_backend(" + sessions.get(0) + ")"));
        Files.writeString(tools.resolve("go"), "");
    }

    @Test
    void inSwapModeTheRestoreSessionEndingMidCopyFailsTheJobAndLeavesTheTargetAsItWas() throws Exception {
        Path tools = pausingPgRestore();
        try (FaultProxy proxy = proxy()) {
            RestoreIT.Fixture f = fixture(proxy, Map.of("PG_TOOLS_DIR", tools.toString()), Clock.systemUTC());
            CompletableFuture<Map<String, Object>> worker = CompletableFuture
                    .supplyAsync(() -> RestoreIT.runWorker(f, Duration.ofMinutes(15)));

            terminatePgRestoreSession(tools, DatabaseNames.base(f.target) + "_restore_%", worker);
            Map<String, Object> result = worker.get(2, TimeUnit.MINUTES);

            assertEquals("FAILED", result.get("status"), result.toString());
            String message = (String) result.get("message");
            assertTrue(
                    message.startsWith("Restore failed: pg_restore exited with code 1: the connection to the database "
                            + "failed or was lost (details in job " + result.get("jobId") + ")"),
                    message);
            assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
            JobRecord job = f.stack.wiring.jobs.find((String) result.get("jobId")).orElseThrow();
            assertEquals(JobRecord.Status.FAILED, job.status());
            assertTrue(job.diagnostic().contains("terminating connection due to administrator command")
                    || job.diagnostic().contains("server closed the connection"), job.diagnostic());
            assertTargetAsItWas(f);
            f.assertNoSecretsLeaked();
        }
    }

    @Test
    void inPlaceModeTheRestoreSessionEndingMidCopyFailsTheJobAndSaysTheDatabaseWasDropped() throws Exception {
        Path tools = pausingPgRestore();
        try (FaultProxy proxy = proxy()) {
            RestoreIT.Fixture f = fixture(proxy, Map.of("PG_TOOLS_DIR", tools.toString(), "RESTORE_MODE", "in-place"),
                    Clock.systemUTC());
            CompletableFuture<Map<String, Object>> worker = CompletableFuture
                    .supplyAsync(() -> RestoreIT.runWorker(f, Duration.ofMinutes(15)));

            terminatePgRestoreSession(tools, f.target, worker);
            Map<String, Object> result = worker.get(2, TimeUnit.MINUTES);

            assertEquals("FAILED", result.get("status"), result.toString());
            String message = (String) result.get("message");
            assertTrue(
                    message.startsWith("Restore failed: pg_restore exited with code 1: the connection to the database "
                            + "failed or was lost"),
                    message);
            assertTrue(
                    message.endsWith("In-place mode: the database '" + f.target + "' had already been dropped and is "
                            + "now empty or missing; restore another backup to recover"),
                    message);
            assertEquals(JobRecord.Status.FAILED,
                    f.stack.wiring.jobs.find((String) result.get("jobId")).orElseThrow().status());
            // the documented risk of this mode: the single transaction was rolled back, the database is empty
            assertEquals(List.of(), pg.query(f.target, "select tablename from pg_tables where schemaname = 'public'"));
            f.assertNoLeftovers();
            f.assertNoSecretsLeaked();
        }
    }

    // ---------------------------------------------------------------- S3 fails on the worker's own records

    @Test
    void s3RefusingTheFinalJobRecordStillReleasesTheLockAfterACompleteRestore() {
        MutableClock clock = new MutableClock(Instant.now());
        try (FaultProxy proxy = proxy()) {
            RestoreIT.Fixture f = fixture(proxy, Map.of(), clock);
            Map<String, Object> payload = RestoreIT.startJob(f, f.productionBackup); // the record's first write
            String jobKey = f.stack.wiring.keys.job(jobId(payload));
            FaultProxy.Rule refused = proxy.when(FaultProxy.s3("PUT", Pattern.quote(jobKey), null))
                    .respondS3Error(500, "InternalError", "injected by the test");

            RuntimeException thrown = null;
            Map<String, Object> result = null;
            try {
                result = runWorker(f, payload);
            } catch (RuntimeException e) {
                thrown = e;
            }

            assertTrue(refused.injected() > 1, "the SDK retried the record: " + refused.injected());
            // the restore itself is complete, and the next one is not blocked by this one's lock
            assertEquals(RestoreIT.productionSnapshot, pg.snapshot(f.target));
            f.assertNoLeftovers();
            assertEquals(1, pg.databases(f.target + "_pre_restore_").size());
            LastRestore last = f.stack.wiring.records.read(f.stack.wiring.keys.lastRestore(), LastRestore.class)
                    .orElseThrow(() -> new AssertionError("the change is recorded for the next safety check"));
            assertEquals(jobId(payload), last.jobId());
            assertTrue(f.stack.audit().lines().anyMatch(l -> l.contains("\"action\":\"restore.job\"")
                    && l.contains("\"result\":\"SUCCEEDED\"")), f.stack.audit());
            // what the job status says now, and once the job counts as abandoned (for the report)
            JobRecord now = f.stack.wiring.jobs.find(jobId(payload)).orElseThrow();
            clock.advance(f.stack.wiring.config.restoreWorker().staleAfter().plusMinutes(1));
            JobRecord later = f.stack.wiring.jobs.find(jobId(payload)).orElseThrow();
            System.out.println("REPORT final job record refused: worker "
                    + (thrown != null ? "threw " + thrown.getClass().getSimpleName() : "returned " + result)
                    + "; status now " + now.status() + " '" + now.message() + "'; after staleness " + later.status()
                    + " '" + later.message() + "'");
            if (thrown != null) {
                assertTrue(thrown instanceof S3Exception, thrown::toString);
            }
        }
    }

    @Test
    void s3RefusingTheWorkersClaimRestoresNothing() {
        MutableClock clock = new MutableClock(Instant.now());
        try (FaultProxy proxy = proxy()) {
            RestoreIT.Fixture f = fixture(proxy, Map.of(), clock);
            Map<String, Object> payload = RestoreIT.startJob(f, f.productionBackup);
            FaultProxy.Rule refused = proxy.when(FaultProxy.s3("PUT", "pgbackup/claims/.*", null))
                    .respondS3Error(500, "InternalError", "injected by the test");

            RuntimeException thrown = null;
            Map<String, Object> result = null;
            try {
                result = runWorker(f, payload);
            } catch (RuntimeException e) {
                thrown = e;
            }

            assertTrue(refused.injected() > 1, "the SDK retried the claim: " + refused.injected());
            proxy.clearRules();
            assertEquals(f.stagingSnapshot, pg.snapshot(f.target), "the target is unchanged");
            assertEquals(List.of(), pg.databases(f.target + "_"), "no restore database was made");
            assertEquals(Optional.empty(), f.stack.wiring.records.read(f.stack.wiring.keys.lastRestore(),
                    LastRestore.class), "no restore recorded");
            assertTrue(proxy.requests(r -> r.method().equals("GET") && r.key() != null
                    && r.key().equals(f.productionBackup)).isEmpty(), "the backup was never read");
            // for the report: what the job and the lock say now, and once they count as abandoned
            JobRecord now = f.stack.wiring.jobs.find(jobId(payload)).orElseThrow();
            Optional<Lock.Holder> lockNow = f.stack.wiring.restoreLock().holder();
            clock.advance(f.stack.wiring.config.restoreWorker().staleAfter().plusMinutes(1));
            JobRecord later = f.stack.wiring.jobs.find(jobId(payload)).orElseThrow();
            Lock.Outcome next = f.stack.wiring.restoreLock().acquire("00000000-0000-0000-0000-00000000000a",
                    "ops@example.com", f.productionBackup);
            System.out.println("REPORT claim refused: worker "
                    + (thrown != null ? "threw " + thrown.getClass().getSimpleName() : "returned " + result)
                    + "; status now " + now.status() + " '" + now.message() + "'; lock now " + lockNow
                    + "; after staleness " + later.status() + " '" + later.message() + "', next acquire " + next);
            assertNotNull(next);
        }
    }
}
