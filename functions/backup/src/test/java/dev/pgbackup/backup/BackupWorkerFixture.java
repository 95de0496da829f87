package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.storage.BackupClass;
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
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What the backup worker's ITs share ({@link BackupWorkerIT}, {@link BackupToolFailuresIT}, {@link BackupJobGuardsIT},
 * and the other backup ITs): a seeded source database on the real PostgreSQL, fresh buckets on moto, the scheduled
 * and on-demand events, and reading and restoring what landed in the bucket. In a class of its own so that each IT
 * holds one concern.
 */
final class BackupWorkerFixture {
    static final String SOURCE_DB = "backup_source";
    static TestPostgres pg;

    private BackupWorkerFixture() {}

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
        return stack.handler(BackupWorkerHandler.class).handleRequest(scheduledEvent(),
                new TestContext(Duration.ofMinutes(15)));
    }

    /** What EventBridge Scheduler sends (events/scheduled-backup.json), with a fresh execution id. */
    static Map<String, Object> scheduledEvent() {
        try {
            Map<String, Object> event = Json.MAPPER.readValue(RepoPaths.root().resolve("events/scheduled-backup.json")
                    .toFile(), new TypeReference<Map<String, Object>>() {});
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
        // the callers restore it and go on; left behind, every run of the suite added its archives to /tmp
        file.toFile().deleteOnExit();
        s3.getObject(b -> b.bucket(bucket).key(key), ResponseTransformer.toFile(file));
        return file;
    }

    /**
     * Restores with a stock pg_restore of the layer, as an operator would by hand: zstd archives (the default)
     * need pg_restore 16 or later (docs/restore.md, By hand).
     */
    static void pgRestore(Path dump, String database) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(
                RepoPaths.pgTool(Math.max(16, pg.serverMajor()), "pg_restore").toString(),
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
