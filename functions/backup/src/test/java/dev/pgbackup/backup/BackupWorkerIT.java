package dev.pgbackup.backup;

import static dev.pgbackup.backup.BackupWorkerFixture.SOURCE_DB;
import static dev.pgbackup.backup.BackupWorkerFixture.apiJob;
import static dev.pgbackup.backup.BackupWorkerFixture.backupKeys;
import static dev.pgbackup.backup.BackupWorkerFixture.download;
import static dev.pgbackup.backup.BackupWorkerFixture.job;
import static dev.pgbackup.backup.BackupWorkerFixture.keys;
import static dev.pgbackup.backup.BackupWorkerFixture.newBucket;
import static dev.pgbackup.backup.BackupWorkerFixture.pg;
import static dev.pgbackup.backup.BackupWorkerFixture.pgRestore;
import static dev.pgbackup.backup.BackupWorkerFixture.putFakeBackups;
import static dev.pgbackup.backup.BackupWorkerFixture.runScheduled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.LastBackup;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The backup worker against a real PostgreSQL, the layer's real pg_dump and moto's S3/SSM over HTTP: what a backup
 * writes, and what retention keeps.
 */
class BackupWorkerIT {
    @BeforeAll
    static void seedTheSource() {
        BackupWorkerFixture.seed();
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
        Manifest manifest = stack.wiring.catalog.manifest(stack.wiring.catalog.find(filename).orElseThrow())
                .orElseThrow();
        assertEquals(BackupClass.SCHEDULED, manifest.backupClass());
        assertEquals(size, manifest.bytes());
        assertEquals(dev.pgbackup.common.Hashes.hex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(dump))), manifest.sha256());
        assertTrue(stack.wiring.backupLock().holder().isEmpty(), "the backup lock is released");
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
        List<String> manifests = keys(stack.s3, bucket).stream().filter(k -> k.startsWith("pgbackup/manifests/"))
                .toList();
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
}
