package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.retention.RetentionPolicy;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.LastBackup;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.storage.S3Archives;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The backup worker against a real PostgreSQL, the layer's real pg_dump and moto's S3/SSM over HTTP.
 */
class BackupWorkerIT {
    static final String SOURCE_DB = "backup_source";
    static TestPostgres pg;

    @BeforeAll
    static void seed() {
        pg = TestPostgres.get();
        if (!pg.databaseExists(SOURCE_DB)) {
            pg.createDatabase(SOURCE_DB);
            // ~4 MB of rows whose bytea does not compress
            SeedData.seed(pg, SOURCE_DB, 4000, "production-data");
        }
    }

    /** A database whose dump (~14 MB, incompressible) needs more than one 8 MiB part. */
    static String bigSource() {
        if (!pg.databaseExists("big_source")) {
            pg.createDatabase("big_source");
            SeedData.seed(pg, "big_source", 14000, "big");
        }
        return "big_source";
    }

    static String newBucket() {
        String bucket = "backups-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        return bucket;
    }

    static Map<String, Object> runScheduled(TestStack stack) {
        return stack.handler(BackupWorkerHandler.class).handleRequest(scheduledEvent(), new TestContext(Duration.ofMinutes(15)));
    }

    /** What EventBridge Scheduler sends (events/scheduled-backup.json), with a fresh execution id. */
    static Map<String, Object> scheduledEvent() {
        try {
            Map<String, Object> event = Json.MAPPER.readValue(RepoPaths.root().resolve("events/scheduled-backup.json")
                    .toFile(), new TypeReference<Map<String, Object>>() { });
            event.put("id", UUID.randomUUID().toString());
            return event;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JobRecord job(TestStack stack, Map<String, Object> result) {
        return stack.wiring.jobs.find((String) result.get("jobId")).orElseThrow();
    }

    static BackupService service(Wiring w) {
        return BackupWorkerHandler.service(w);
    }

    /** An on-demand job as the API starts it: the record, the lock, and the invoke payload. */
    static Map<String, Object> apiJob(TestStack stack, String filename) {
        String jobId = JobStore.newJobId();
        assertTrue(stack.wiring.backupLock().acquire(jobId, "alice", filename).acquired());
        stack.wiring.jobs.save(JobRecord.started(jobId, JobRecord.Type.BACKUP, stack.environment, filename, "alice",
                "api", Instant.now()));
        return new WorkerPayload(jobId, stack.environment, filename, BackupClass.ON_DEMAND.key).toMap();
    }

    static List<String> keys(S3Client s3, String bucket) {
        List<String> keys = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
            keys.add(o.key());
        }
        return keys;
    }

    static List<String> backupKeys(S3Client s3, String bucket) {
        return keys(s3, bucket).stream().filter(k -> !k.contains("/")).sorted().toList();
    }

    static Path download(S3Client s3, String bucket, String key) throws IOException {
        Path file = Files.createTempFile("backup-", ".dump");
        Files.delete(file);
        s3.getObject(b -> b.bucket(bucket).key(key), ResponseTransformer.toFile(file));
        return file;
    }

    /**
     * Restores with a stock pg_restore of the layer, as an operator would by hand: zstd archives (the default)
     * need pg_restore 16 or later (docs/restore.md, By hand).
     */
    static void pgRestore(Path dump, String database) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(RepoPaths.pgTool(Math.max(16, pg.serverMajor()), "pg_restore").toString(),
                "--no-owner", "--no-acl", "--exit-on-error", "-h", "127.0.0.1", "-p", Integer.toString(pg.port()),
                "-U", TestPostgres.APP_USER, "-d", database, dump.toString())
                .redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", TestPostgres.APP_PASSWORD);
        builder.environment().put("LD_LIBRARY_PATH", RepoPaths.pgToolsDir().resolve("lib").toString());
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
    }

    @Test
    void scheduledBackupIsARestorableCustomFormatDumpEqualToTheSourceRowForRow() throws Exception {
        String bucket = newBucket();
        TestStack stack = TestStack.create("production", bucket, SOURCE_DB, Map.of());

        Map<String, Object> result = runScheduled(stack);

        assertEquals("SUCCEEDED", result.get("status"), String.valueOf(result.get("message")));
        String filename = (String) result.get("filename");
        assertTrue(BackupName.parse("pharmatracker", filename).isPresent(), filename);
        assertTrue(filename.startsWith("pharmatracker-production-on-"), filename);
        assertEquals(List.of(filename), backupKeys(stack.s3, bucket));
        JobRecord job = job(stack, result);
        assertEquals(JobRecord.Status.SUCCEEDED, job.status());
        assertEquals("schedule", job.trigger());
        long size = stack.s3.headObject(b -> b.bucket(bucket).key(filename)).contentLength();
        assertEquals(size, job.bytes());
        assertTrue(size > 1_000_000, "dump of a few MB expected, got " + size);

        Path dump = download(stack.s3, bucket, filename);
        assertEquals("PGDMP", new String(Files.readAllBytes(dump), 0, 5));
        String target = "restored_" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(target);
        pgRestore(dump, target);
        assertEquals(pg.snapshot(SOURCE_DB), pg.snapshot(target));
        assertTrue(stack.audit().contains("\"action\":\"backup.job\""), stack.audit());
        assertTrue(stack.audit().contains("\"result\":\"SUCCEEDED\""), stack.audit());
        assertTrue(stack.audit().contains("\"BackupSucceeded\":1"), "metric for the no-recent-backup alarm");
        BackupMetricsChecks.backupMetrics(stack, pg, SOURCE_DB, job, size);
        // completion is recorded for the restore's recency check (LastModified of a multipart upload is its start)
        LastBackup last = stack.wiring.records.read(stack.wiring.keys.lastBackup(), LastBackup.class).orElseThrow();
        assertEquals(filename, last.filename());
        assertTrue(!last.startedAt().isAfter(last.completedAt()));
        // the manifest: the class for retention and the checksum a restore verifies
        Manifest manifest = stack.wiring.catalog.manifest(stack.wiring.catalog.find(filename).orElseThrow()).orElseThrow();
        assertEquals(BackupClass.SCHEDULED, manifest.backupClass());
        assertEquals(size, manifest.bytes());
        assertEquals(dev.pgbackup.common.Hashes.hex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(dump))), manifest.sha256());
        assertTrue(stack.wiring.backupLock().holder().isEmpty(), "the backup lock is released");
    }

    @Test
    void pgDumpFailingMidwayLeavesNoObjectNoUploadAndRetentionUntouched() throws Exception {
        String bucket = newBucket();
        // 9 MB of real dump output (more than one 8 MiB part), then a non-zero exit as if killed
        Path tools = FakeTools.wrapping("pg_dump",
                "echo \"$@\" > \"$ROOT/args.txt\"\n"
                + "env | cut -d= -f1 > \"$ROOT/envnames.txt\"\n"
                + "\"$REAL\" \"$@\" | head -c 9500000\necho 'pg_dump: error: connection lost' >&2\nexit 1");
        TestStack stack = TestStack.create("production", bucket, bigSource(), Map.of("PG_TOOLS_DIR", tools.toString()));
        List<String> older = putFakeBackups(stack.s3, bucket, "production", 3);

        Map<String, Object> result = runScheduled(stack);

        assertEquals("FAILED", result.get("status"));
        String message = (String) result.get("message");
        assertTrue(message.startsWith("Backup failed: pg_dump exited with code 1: the connection to the database failed "
                + "or was lost (no backup was written; details in job "), message);
        assertFalse(message.contains("pg_dump: error"), "the tool's own text stays out of the answer: " + message);
        assertEquals(older, backupKeys(stack.s3, bucket));
        assertTrue(stack.s3.listMultipartUploads(b -> b.bucket(bucket)).uploads().isEmpty(), "no dangling upload");
        JobRecord failed = job(stack, result);
        assertEquals(JobRecord.Status.FAILED, failed.status());
        assertTrue(failed.diagnostic().contains("pg_dump: error: connection lost"), "kept for the operator");
        assertTrue(stack.audit().contains("pg_dump: error: connection lost"), "and in the environment's own log");

        String args = Files.readString(tools.resolve("args.txt"));
        assertFalse(args.contains(TestPostgres.APP_PASSWORD), args);
        assertFalse(args.contains("postgresql://"), args);
        String envNames = Files.readString(tools.resolve("envnames.txt"));
        assertTrue(envNames.contains("PGPASSWORD"), envNames);
        assertFalse(envNames.contains("AWS_"), "the function's AWS credentials stay with the function: " + envNames);
        assertFalse(stack.audit().contains(TestPostgres.APP_PASSWORD));
        assertTrue(stack.audit().contains("\"BackupFailed\":1"), "metric for the failed-backup alarm");
    }

    @Test
    void runningOutOfTimeAbortsTheUploadBeforeLambdaWould() throws Exception {
        String bucket = newBucket();
        // more than one part of real output, then pg_dump stalls (a lock wait, a slow network...)
        Path tools = FakeTools.wrapping("pg_dump", "\"$REAL\" \"$@\" | { head -c 9500000; sleep 60; cat > /dev/null; }");
        TestStack stack = TestStack.create("production", bucket, bigSource(), Map.of("PG_TOOLS_DIR", tools.toString()));
        List<String> older = putFakeBackups(stack.s3, bucket, "production", 2);
        // Lambda would kill the worker 3 s past its safety margin
        TestContext nearlyOutOfTime = new TestContext(Config.WorkerLimits.SAFETY_MARGIN.plusSeconds(3));

        Map<String, Object> result = stack.handler(BackupWorkerHandler.class).handleRequest(scheduledEvent(), nearlyOutOfTime);

        assertEquals("FAILED", result.get("status"));
        assertTrue(String.valueOf(result.get("message")).contains("did not finish before the worker's time limit"),
                String.valueOf(result.get("message")));
        assertTrue(nearlyOutOfTime.getRemainingTimeInMillis() > 0, "finished before Lambda's hard limit");
        assertEquals(older, backupKeys(stack.s3, bucket));
        assertTrue(stack.s3.listMultipartUploads(b -> b.bucket(bucket)).uploads().isEmpty(), "no dangling upload");
        assertEquals(JobRecord.Status.FAILED, job(stack, result).status());
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
        stack.wiring.jobs.save(JobRecord.started(done.jobId(), JobRecord.Type.BACKUP, "production", name, "alice", "api",
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
        assertTrue(String.valueOf(refused.get("message")).startsWith("Backup refused: the job record and the invoke payload "
                + "disagree"), String.valueOf(refused.get("message")));
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
    void pgDumpMissingGivesTheKnownMessage() {
        String bucket = newBucket();
        TestStack stack = TestStack.create("production", bucket, SOURCE_DB,
                Map.of("PG_TOOLS_DIR", FakeTools.empty().toString()));

        Map<String, Object> result = runScheduled(stack);

        assertEquals("FAILED", result.get("status"));
        assertEquals(PgTools.PG_DUMP_MISSING, result.get("message"));
        assertEquals(List.of(), backupKeys(stack.s3, bucket));
    }

    @Test
    void aServerNewerThanTheBundledPgDumpIsRefusedUpFront() {
        String bucket = newBucket();
        // a layer whose only pg_dump (in every folder) claims an old major
        Path tools = FakeTools.wrapping("pg_dump", "if [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 12.22'; "
                + "exit 0; fi\nexit 99");
        try (var scripts = Files.walk(tools)) {
            for (Path dump : scripts.filter(p -> p.getFileName().toString().equals("pg_dump")).toList()) {
                Files.writeString(dump, "#!/bin/bash\nif [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 12.22'; "
                        + "exit 0; fi\nexit 99\n");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        TestStack stack = TestStack.create("production", bucket, SOURCE_DB, Map.of("PG_TOOLS_DIR", tools.toString()));

        Map<String, Object> result = runScheduled(stack);

        assertEquals("FAILED", result.get("status"));
        String message = (String) result.get("message");
        assertTrue(message.contains("runs PostgreSQL 15") && message.contains("12.22") && message.contains("PG_MAJORS"), message);
        assertEquals(List.of(), backupKeys(stack.s3, bucket));
    }

    @Test
    void missingBucketGivesTheKnownMessage() {
        TestStack stack = TestStack.create("production", "no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8),
                SOURCE_DB, Map.of());
        BackupService service = service(stack.wiringOf(BackupWorkerHandler.class));
        RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> service.run(new BackupService.Request(JobStore.newJobId(),
                        "pharmatracker-production-on-2026-01-01-at-01-00-00-AM-IST.dump", BackupClass.ON_DEMAND),
                        Deadline.in(Duration.ofSeconds(60))));
        assertEquals("S3 bucket '" + stack.bucket + "' does not exist or is not accessible", e.getMessage());
    }

    @Test
    void retentionKeepsTheNewestThirtyOfThisEnvironmentAndNeverTouchesAnother() {
        String bucket = newBucket();
        TestStack production = TestStack.create("production", bucket, SOURCE_DB, Map.of());
        List<String> oldProduction = putFakeBackups(production.s3, bucket, "production", 30);
        List<String> staging = putFakeBackups(production.s3, bucket, "staging", 35);
        production.s3.putObject(b -> b.bucket(bucket).key("notes/readme.txt"), RequestBody.fromString("not a backup"));

        Map<String, Object> result = runScheduled(production);

        assertEquals("SUCCEEDED", result.get("status"), String.valueOf(result.get("message")));
        List<String> keys = keys(production.s3, bucket);
        // the oldest production backup went; the 29 newer ones and the new one stay
        assertFalse(keys.contains(oldProduction.get(0)), "oldest production backup deleted");
        assertTrue(keys.containsAll(oldProduction.subList(1, 30)));
        assertTrue(keys.contains((String) result.get("filename")));
        assertTrue(keys.containsAll(staging), "staging backups untouched");
        assertTrue(keys.contains("notes/readme.txt"));
        assertEquals(30, keys.stream().filter(k -> k.startsWith("pharmatracker-production-")).count());
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

        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> stack.wiringOf(BackupWorkerHandler.class).archives.upload(
                name, new java.io.ByteArrayInputStream(data), Deadline.in(Duration.ofSeconds(120)), () -> { }));

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

    @Test
    void onDemandBackupsNeverPushOutScheduledOnes() {
        String bucket = newBucket();
        TestStack stack = TestStack.create("production", bucket, SOURCE_DB,
                Map.of("RETENTION_COUNT", "3", "ON_DEMAND_RETENTION_COUNT", "2"));
        List<String> scheduled = putFakeBackups(stack.s3, bucket, "production", 3); // the previous tool's: history
        BackupWorkerHandler worker = stack.handler(BackupWorkerHandler.class);
        TestContext context = new TestContext(Duration.ofMinutes(15));
        List<String> onDemand = new ArrayList<>();
        for (int i = 5; i >= 1; i--) {
            String name = BackupFiles.name("production", Instant.now().minus(Duration.ofMinutes(i)));
            Map<String, Object> done = worker.handleRequest(apiJob(stack, name), context);
            assertEquals("SUCCEEDED", done.get("status"), String.valueOf(done.get("message")));
            onDemand.add(name);
        }

        List<String> kept = backupKeys(stack.s3, bucket);
        assertTrue(kept.containsAll(scheduled), "every scheduled backup is still there: " + kept);
        assertTrue(kept.containsAll(onDemand.subList(3, 5)), "the newest two on-demand backups: " + kept);
        assertEquals(5, kept.size(), kept.toString());

        // a scheduled backup counts against the scheduled ones only: the oldest of them goes
        Map<String, Object> nightly = runScheduled(stack);
        assertEquals("SUCCEEDED", nightly.get("status"), String.valueOf(nightly.get("message")));
        List<String> after = backupKeys(stack.s3, bucket);
        assertFalse(after.contains(scheduled.get(0)), after.toString());
        assertTrue(after.containsAll(onDemand.subList(3, 5)));
        assertEquals(5, after.size(), "three scheduled (two old, the new one) and two on-demand: " + after);
        // and the deleted backups' manifests, row counts and roles went with them
        List<String> manifests = keys(stack.s3, bucket).stream().filter(k -> k.startsWith("pgbackup/manifests/")).toList();
        assertEquals(3, manifests.stream().filter(k -> k.endsWith(".json")).count(), manifests.toString());
        assertEquals(3, manifests.stream().filter(k -> k.endsWith(".counts.json.gz")).count(), manifests.toString());
        assertEquals(3, manifests.stream().filter(k -> k.endsWith(".globals.sql")).count(), manifests.toString());
        BackupMetricsChecks.sizeRatiosCompareLikeWithLike(stack, onDemand, scheduled, nightly);
    }

    @Test
    void theWorkerWritesOnlyItsOwnEnvironmentsKeys() {
        String bucket = newBucket();
        try (dev.pgbackup.testsupport.FaultProxy proxy = dev.pgbackup.testsupport.FaultProxy.start(
                dev.pgbackup.testsupport.MotoServer.get().endpoint())) {
            TestStack stack = TestStack.create("production", bucket, SOURCE_DB, Map.of("RETENTION_COUNT", "1"),
                    java.time.Clock.systemUTC(), proxy.endpoint());
            List<String> staging = putFakeBackups(stack.s3, bucket, "staging", 2);
            List<String> oldProduction = putFakeBackups(stack.s3, bucket, "production", 2);
            proxy.clearRequests();

            assertEquals("SUCCEEDED", runScheduled(stack).get("status"));
            String name = BackupName.create(stack.wiring.config, Instant.now().plusSeconds(5)).filename();
            assertEquals("SUCCEEDED", stack.handler(BackupWorkerHandler.class)
                    .handleRequest(apiJob(stack, name), new TestContext(Duration.ofMinutes(15))).get("status"));

            List<String> written = proxy.writes().stream().map(dev.pgbackup.testsupport.FaultProxy.Request::key)
                    .filter(java.util.Objects::nonNull).distinct().toList();
            assertFalse(written.isEmpty());
            for (String key : written) {
                boolean own = key.startsWith("pharmatracker-production-on-")
                        || key.matches("pgbackup/(jobs|claims|locks|state|manifests)/pharmatracker-production/.+");
                assertTrue(own, "written outside production's keys: " + key);
            }
            // bulk deletes name their keys in the body: what they removed is checked in the bucket
            List<String> left = keys(stack.s3, bucket);
            assertTrue(left.containsAll(staging), "staging's backups untouched: " + left);
            assertTrue(oldProduction.stream().noneMatch(left::contains), "retention ran on production's: " + left);
        }
    }

    /** Backups of earlier days, oldest first, as the previous implementation named them. */
    static List<String> putFakeBackups(S3Client s3, String bucket, String environment, int count) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = String.format("pharmatracker-%s-on-2025-%02d-%02d-at-%02d-15-00-%s-IST.dump",
                    environment, 1 + i / 28, 1 + i % 28, 1 + i % 12, i % 2 == 0 ? "AM" : "PM");
            s3.putObject(b -> b.bucket(bucket).key(name), RequestBody.fromString("PGDMP fake " + i));
            names.add(name);
        }
        return names;
    }
}
