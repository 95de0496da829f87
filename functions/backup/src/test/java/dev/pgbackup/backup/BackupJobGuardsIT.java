package dev.pgbackup.backup;

import static dev.pgbackup.backup.BackupWorkerFixture.SOURCE_DB;
import static dev.pgbackup.backup.BackupWorkerFixture.apiJob;
import static dev.pgbackup.backup.BackupWorkerFixture.backupKeys;
import static dev.pgbackup.backup.BackupWorkerFixture.keys;
import static dev.pgbackup.backup.BackupWorkerFixture.newBucket;
import static dev.pgbackup.backup.BackupWorkerFixture.scheduledEvent;
import static dev.pgbackup.backup.BackupWorkerFixture.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The backup worker's guards: a duplicate delivery runs once, a job record or payload that disagrees is refused, and
 * no backup ever overwrites another.
 */
class BackupJobGuardsIT {
    @BeforeAll
    static void seedTheSource() {
        BackupWorkerFixture.seed();
    }

    @Test
    void aDuplicateDeliveryOfTheSameJobDoesNothing() {
        String bucket = newBucket();
        TestStack stack = TestStack.create("production", bucket, SOURCE_DB, Map.of());
        String name = BackupName.create(stack.wiring.config, Instant.now()).filename();
        Map<String, Object> payload = apiJob(stack, name);
        BackupWorkerHandler worker = stack.handler(BackupWorkerHandler.class);
        TestContext context = new TestContext(Duration.ofMinutes(15));

        assertEquals("SUCCEEDED", worker.handleRequest(payload, context).get("status"));
        // Lambda delivers asynchronous events at least once: the same event again, even with the job RUNNING
        JobRecord done = stack.wiring.jobs.find((String) payload.get("jobId")).orElseThrow();
        stack.wiring.jobs
                .save(JobRecord.started(done.jobId(), JobRecord.Type.BACKUP, "production", name, "alice", "api",
                        Instant.now()));
        stack.wiring.backupLock().acquire(done.jobId(), "alice", name);
        assertEquals("IGNORED", worker.handleRequest(payload, context).get("status"));
        assertEquals(List.of(name), backupKeys(stack.s3, bucket));

        // the same schedule execution delivered twice runs once
        Map<String, Object> scheduled = scheduledEvent();
        stack.wiring.backupLock().release(done.jobId());
        Map<String, Object> first = worker.handleRequest(scheduled, context);
        assertEquals("SUCCEEDED", first.get("status"), String.valueOf(first.get("message")));
        assertEquals("IGNORED", worker.handleRequest(scheduled, context).get("status"));
        assertEquals(2, backupKeys(stack.s3, bucket).size());
    }

    @Test
    void aJobRecordOrPayloadThatDisagreesIsRefusedAndNothingIsWritten() {
        String bucket = newBucket();
        TestStack stack = TestStack.create("production", bucket, SOURCE_DB, Map.of());
        BackupWorkerHandler worker = stack.handler(BackupWorkerHandler.class);
        TestContext context = new TestContext(Duration.ofMinutes(15));
        String mine = BackupName.create(stack.wiring.config, Instant.now()).filename();

        // a payload for another environment: refused without touching anything
        Map<String, Object> forStaging = new java.util.HashMap<>(apiJob(stack, mine));
        forStaging.put("environment", "staging");
        List<String> before = keys(stack.s3, bucket);
        assertEquals("REFUSED", worker.handleRequest(forStaging, context).get("status"));
        assertEquals(before, keys(stack.s3, bucket));
        stack.wiring.backupLock().release((String) forStaging.get("jobId"));

        // a job record naming another file than the payload (as a tampered record would): refused, no upload
        Map<String, Object> payload = apiJob(stack, mine);
        String planted = BackupFiles.name("staging", Instant.now());
        stack.wiring.jobs.save(JobRecord.started((String) payload.get("jobId"), JobRecord.Type.BACKUP, "production",
                planted, "mallory", "api", Instant.now()));
        Map<String, Object> refused = worker.handleRequest(payload, context);
        assertEquals("FAILED", refused.get("status"));
        assertTrue(String.valueOf(refused.get("message"))
                .startsWith("Backup refused: the job record and the invoke payload "
                        + "disagree"),
                String.valueOf(refused.get("message")));
        assertEquals(List.of(), backupKeys(stack.s3, bucket));
        stack.wiring.backupLock().release((String) payload.get("jobId"));

        // a payload naming another environment's file: refused
        Map<String, Object> other = apiJob(stack, planted);
        assertEquals("FAILED", worker.handleRequest(other, context).get("status"));
        assertEquals(List.of(), backupKeys(stack.s3, bucket));
        stack.wiring.backupLock().release((String) other.get("jobId"));

        // a job that does not hold the lock: refused, and the holder's lock stays
        String jobId = JobStore.newJobId();
        stack.wiring.jobs.save(JobRecord.started(jobId, JobRecord.Type.BACKUP, "production", mine, "bob", "api",
                Instant.now()));
        assertTrue(stack.wiring.backupLock().acquire("99999999-8888-7777-6666-555555555555", "carol", mine).acquired());
        Map<String, Object> unlocked = worker.handleRequest(
                new WorkerPayload(jobId, "production", mine, BackupClass.ON_DEMAND.key).toMap(), context);
        assertEquals("FAILED", unlocked.get("status"));
        assertTrue(String.valueOf(unlocked.get("message")).contains("does not hold the backup lock"));
        assertEquals("99999999-8888-7777-6666-555555555555", stack.wiring.backupLock().holder().orElseThrow().jobId());
        assertEquals(List.of(), backupKeys(stack.s3, bucket));
    }

    @Test
    void twoBackupsWithTheSameNameNeverOverwrite() throws Exception {
        String bucket = newBucket();
        TestStack stack = TestStack.create("production", bucket, SOURCE_DB, Map.of());
        BackupService service = service(stack.wiringOf(BackupWorkerHandler.class));
        String name = BackupName.create(stack.wiring.config, Instant.now()).filename();
        Deadline deadline = Deadline.in(Duration.ofSeconds(300));

        assertEquals("ok", attempt(service, name, deadline));
        String etag = stack.s3.headObject(h -> h.bucket(bucket).key(name)).eTag();

        // a second backup in the same second gets the same name: refused before dumping
        String again = attempt(service, name, deadline);
        assertTrue(again.contains("already exists"), again);
        assertEquals(etag, stack.s3.headObject(h -> h.bucket(bucket).key(name)).eTag());
    }

    /**
     * The last line of defence when two workers race past the existence check: the upload itself is
     * conditional, both as a single PUT and as a multipart upload (where the SDK would drop the header).
     * moto checks the condition non-atomically, so the race itself is only exercised on real S3.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} bytes")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1_000, 20_000_000})
    void theUploadItselfNeverOverwritesAnExistingObject(int size) throws Exception {
        String bucket = newBucket();
        TestStack stack = TestStack.create("production", bucket, SOURCE_DB, Map.of());
        String name = BackupName.create(stack.wiring.config, Instant.now()).filename();
        stack.s3.putObject(b -> b.bucket(bucket).key(name), RequestBody.fromString("the original backup"));
        String etag = stack.s3.headObject(h -> h.bucket(bucket).key(name)).eTag();
        byte[] data = new byte[size];
        new java.util.Random(1).nextBytes(data);

        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> stack.wiringOf(BackupWorkerHandler.class).archives.upload(
                        name, new java.io.ByteArrayInputStream(data), Deadline.in(Duration.ofSeconds(120)), () -> {}));

        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals(etag, stack.s3.headObject(h -> h.bucket(bucket).key(name)).eTag());
        assertTrue(stack.s3.listMultipartUploads(r -> r.bucket(bucket)).uploads().isEmpty(), "no dangling upload");
    }

    private static String attempt(BackupService service, String name, Deadline deadline) {
        try {
            service.run(new BackupService.Request(JobStore.newJobId(), name, BackupClass.ON_DEMAND), deadline);
            return "ok";
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }
}
