package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.Waits;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One restore at a time (409 while one runs, the lock free afterwards, two in one second keep two copies) and the
 * worker on its own, which runs only a job it may run.
 */
class RestoreJobsIT extends RestoreFixtures {

    // ---------------------------------------------------------------- one restore at a time

    @Test
    void whileARestoreRunsASecondOneGets409AndTheLockIsFreeAfterwards() throws Exception {
        Fixture f = new Fixture();
        f.workerGate = new CountDownLatch(1);

        ExecutorService threads = Executors.newFixedThreadPool(2);
        CompletableFuture<APIGatewayV2HTTPResponse> first = CompletableFuture
                .supplyAsync(() -> f.restore(f.productionBackup), threads);
        String lockKey = f.stack.wiring.keys.restoreLock();
        Waits.until(Duration.ofSeconds(30), "the first restore to take the lock",
                () -> f.keys("pgbackup/locks/").contains(lockKey) && !f.jobKeys().isEmpty());
        String runningJob = f.jobKeys().get(0).replaceAll("^.*/|\\.json$", "");

        APIGatewayV2HTTPResponse second = f.restore(f.productionBackup);

        assertEquals(409, second.getStatusCode());
        assertEquals(error("A restore of 'staging' is already running (job " + runningJob + ")"), bodyOf(second));
        f.workerGate.countDown();
        APIGatewayV2HTTPResponse firstResponse = first.get(2, TimeUnit.MINUTES);
        assertEquals(200, firstResponse.getStatusCode(), firstResponse.getBody());
        f.stack.awaitWorkers();
        assertEquals(1, f.workerResults.size());
        assertEquals(1, f.jobs().size());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        f.assertNoLeftovers();

        // released on success: the next restore runs (and keeps its own pre-restore copy) after a safety backup
        // taken since the first restore changed the database
        f.workerGate = null;
        APIGatewayV2HTTPResponse early = f.restore(f.productionBackup);
        assertEquals(409, early.getStatusCode(), early.getBody());
        assertTrue(((String) bodyOf(early).get("message")).contains("started before its last restore"),
                early.getBody());
        f.takeSafetyBackup();
        APIGatewayV2HTTPResponse third = f.restore(f.productionBackup);
        assertEquals(200, third.getStatusCode(), third.getBody());
        f.stack.awaitWorkers();
        assertEquals(2, f.workerResults.size());
        f.assertNoLeftovers();
    }

    @Test
    void twoRestoresInTheSameSecondKeepTwoDistinctCopies() {
        // a frozen clock: both restores "finish" in the same second, by construction rather than by luck
        Fixture f = new Fixture(Map.of("PRE_RESTORE_COPIES_TO_KEEP", "2"), Clock.fixed(Instant.now(),
                java.time.ZoneOffset.UTC), true, null);
        APIGatewayV2HTTPResponse first = f.restore(f.productionBackup);
        assertEquals(200, first.getStatusCode(), first.getBody());
        f.takeSafetyBackup();
        APIGatewayV2HTTPResponse second = f.restore(f.productionBackup);
        assertEquals(200, second.getStatusCode(), second.getBody());
        List<String> copies = pg.databases(DatabaseNames.base(f.target) + "_pre_restore_");
        assertEquals(2, copies.size(), copies.toString());
        assertTrue(copies.get(1).equals(copies.get(0) + "_2"), copies.toString());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        assertEquals(productionSnapshot, pg.snapshot(copies.get(1)),
                "the second copy holds the first restore's result");
        assertEquals(f.stagingSnapshot, pg.snapshot(copies.get(0)), "the first copy holds the original staging data");
        f.assertNoLeftovers();
    }

    // ---------------------------------------------------------------- the worker on its own

    @Test
    void theWorkerNeverRunsAFinishedUnknownDuplicateUnlockedOrTamperedJob() {
        Fixture f = new Fixture();
        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);
        assertEquals(200, response.getStatusCode(), response.getBody());
        JobRecord done = f.jobs().get(0);
        List<String> databases = pg.databases(f.target);
        RestoreWorkerHandler worker = f.stack.handler(RestoreWorkerHandler.class);
        TestContext context = new TestContext(Duration.ofMinutes(15));
        String mode = f.stack.wiring.config.restoreMode().name();

        // a second delivery of a finished job, an unknown job, no job at all, the old payload shape
        assertEquals("IGNORED",
                worker.handleRequest(new WorkerPayload(done.jobId(), "staging", f.productionBackup, mode)
                        .toMap(), context).get("status"));
        assertEquals("IGNORED", worker.handleRequest(new WorkerPayload(UUID.randomUUID().toString(), "staging",
                f.productionBackup, mode).toMap(), context).get("status"));
        assertEquals("IGNORED", worker.handleRequest(Map.of("jobId", done.jobId()), context).get("status"));
        assertEquals("IGNORED", worker.handleRequest(Map.of(), context).get("status"));
        assertEquals(databases, pg.databases(f.target));

        // a job of another environment: refused without a write
        Map<String, Object> forProduction = new HashMap<>(startJob(f, f.productionBackup));
        forProduction.put("environment", "production");
        List<String> before = f.keys("pgbackup/");
        assertEquals("REFUSED", worker.handleRequest(forProduction, context).get("status"));
        assertEquals(before, f.keys("pgbackup/"));
        f.stack.wiring.restoreLock().release((String) forProduction.get("jobId"));

        // a running job another invocation already claimed (Lambda delivered the event twice)
        Map<String, Object> claimed = startJob(f, f.productionBackup);
        assertTrue(f.stack.wiring.jobs.claim((String) claimed.get("jobId")));
        assertEquals("IGNORED", worker.handleRequest(claimed, context).get("status"));
        f.stack.wiring.restoreLock().release((String) claimed.get("jobId"));

        // the lock names another file than the payload (a payload or record tampered with): refused
        String planted = BackupFiles.name("production", Instant.now().minus(Duration.ofHours(5)));
        BackupFiles.upload(f.stack.s3, f.stack.bucket, planted, BackupFiles.dump(pg, f.target));
        Map<String, Object> swapped = new HashMap<>(startJob(f, f.productionBackup));
        swapped.put("filename", planted);
        Map<String, Object> refused = worker.handleRequest(swapped, context);
        assertEquals("FAILED", refused.get("status"));
        assertTrue(
                ((String) refused.get("message")).startsWith("Restore refused: the job record and the invoke payload "
                        + "disagree"),
                (String) refused.get("message"));
        assertTrue(f.stack.wiring.restoreLock().holder().isEmpty(), "its own lock is released");

        aJobWithoutTheLockIsRefused(f, worker, context, mode);
        assertEquals(databases, pg.databases(f.target));
        assertEquals(productionSnapshot, pg.snapshot(f.target));
    }

    /** A running job without the lock (another restore holds it): refused, and that lock stays. */
    private static void aJobWithoutTheLockIsRefused(Fixture f, RestoreWorkerHandler worker, TestContext context,
            String mode) {
        assertTrue(f.stack.wiring.restoreLock().acquire("99999999-8888-7777-6666-555555555555", "someone",
                f.productionBackup).acquired());
        String unlocked = UUID.randomUUID().toString();
        f.stack.wiring.jobs.save(JobRecord.started(unlocked, JobRecord.Type.RESTORE, "staging", f.productionBackup,
                "ops@example.com", "api", Instant.now()));
        Map<String, Object> result = worker.handleRequest(new WorkerPayload(unlocked, "staging", f.productionBackup,
                mode).toMap(), context);
        assertEquals("FAILED", result.get("status"));
        assertTrue(((String) result.get("message")).contains("does not hold the restore lock"),
                (String) result.get("message"));
        assertEquals("99999999-8888-7777-6666-555555555555",
                f.stack.wiring.restoreLock().holder().orElseThrow().jobId());
    }
}
