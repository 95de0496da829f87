package dev.pgbackup.backup;

import static dev.pgbackup.backup.BackupWorkerFixture.SOURCE_DB;
import static dev.pgbackup.backup.BackupWorkerFixture.backupKeys;
import static dev.pgbackup.backup.BackupWorkerFixture.bigSource;
import static dev.pgbackup.backup.BackupWorkerFixture.job;
import static dev.pgbackup.backup.BackupWorkerFixture.newBucket;
import static dev.pgbackup.backup.BackupWorkerFixture.putFakeBackups;
import static dev.pgbackup.backup.BackupWorkerFixture.runScheduled;
import static dev.pgbackup.backup.BackupWorkerFixture.scheduledEvent;
import static dev.pgbackup.backup.BackupWorkerFixture.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backup worker when pg_dump fails, stalls, is missing or too old, or the bucket is missing: the job says FAILED
 * with a known message, and nothing half-written stays.
 */
class BackupToolFailuresIT {
    @BeforeAll
    static void seedTheSource() {
        BackupWorkerFixture.seed();
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
        assertTrue(
                message.startsWith("Backup failed: pg_dump exited with code 1: the connection to the database failed "
                        + "or was lost (no backup was written; details in job "),
                message);
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
        Path tools = FakeTools.wrapping("pg_dump",
                "\"$REAL\" \"$@\" | { head -c 9500000; sleep 60; cat > /dev/null; }");
        TestStack stack = TestStack.create("production", bucket, bigSource(), Map.of("PG_TOOLS_DIR", tools.toString()));
        List<String> older = putFakeBackups(stack.s3, bucket, "production", 2);
        // Lambda would kill the worker 3 s past its safety margin
        TestContext nearlyOutOfTime = new TestContext(Config.WorkerLimits.SAFETY_MARGIN.plusSeconds(3));

        Map<String, Object> result = stack.handler(BackupWorkerHandler.class).handleRequest(scheduledEvent(),
                nearlyOutOfTime);

        assertEquals("FAILED", result.get("status"));
        assertTrue(String.valueOf(result.get("message")).contains("did not finish before the worker's time limit"),
                String.valueOf(result.get("message")));
        assertTrue(nearlyOutOfTime.getRemainingTimeInMillis() > 0, "finished before Lambda's hard limit");
        assertEquals(older, backupKeys(stack.s3, bucket));
        assertTrue(stack.s3.listMultipartUploads(b -> b.bucket(bucket)).uploads().isEmpty(), "no dangling upload");
        assertEquals(JobRecord.Status.FAILED, job(stack, result).status());
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
                Files.writeString(dump,
                        "#!/bin/bash\nif [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 12.22'; "
                                + "exit 0; fi\nexit 99\n");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        TestStack stack = TestStack.create("production", bucket, SOURCE_DB, Map.of("PG_TOOLS_DIR", tools.toString()));

        Map<String, Object> result = runScheduled(stack);

        assertEquals("FAILED", result.get("status"));
        String message = (String) result.get("message");
        assertTrue(message.contains("runs PostgreSQL 15") && message.contains("12.22") && message.contains("PG_MAJORS"),
                message);
        assertEquals(List.of(), backupKeys(stack.s3, bucket));
    }

    @Test
    void missingBucketGivesTheKnownMessage() {
        TestStack stack = TestStack.create("production",
                "no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8),
                SOURCE_DB, Map.of());
        BackupService service = service(stack.wiringOf(BackupWorkerHandler.class));
        RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> service.run(new BackupService.Request(JobStore.newJobId(),
                        "pharmatracker-production-on-2026-01-01-at-01-00-00-AM-IST.dump", BackupClass.ON_DEMAND),
                        Deadline.in(Duration.ofSeconds(60))));
        assertEquals("S3 bucket '" + stack.bucket + "' does not exist or is not accessible", e.getMessage());
    }
}
