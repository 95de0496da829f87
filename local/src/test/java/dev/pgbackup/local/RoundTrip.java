package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * One database backed up as production's scheduled backup and restored into staging's (a new, empty database
 * that gets its own safety backup first), through the workers, in a bucket of its own, on one server.
 */
record RoundTrip(TestPostgres pg, TestStack production, TestStack staging) {

    static RoundTrip of(TestPostgres pg, String source, Map<String, String> stagingSettings) {
        return of(pg, source, Map.of(), stagingSettings);
    }

    static RoundTrip of(TestPostgres pg, String source, Map<String, String> productionSettings,
            Map<String, String> stagingSettings) {
        String bucket = "shapes-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        Map<String, String> settings = new HashMap<>(stagingSettings);
        settings.put("RECENT_BACKUP_MINUTES", "30");
        // staging first, production naming staging's restore roles as readers of its key (docs/deploy.md)
        TestStack staging = stack(pg, "staging", bucket, newDatabase(pg, "shapes_target_"), settings);
        Map<String, String> production = new HashMap<>(productionSettings);
        production.put("BackupKeyReaderRoleArns", staging.restoreRoles());
        return new RoundTrip(pg, stack(pg, "production", bucket, source, production), staging);
    }

    static String newDatabase(TestPostgres pg, String prefix) {
        String name = prefix + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(name);
        return name;
    }

    private static TestStack stack(TestPostgres pg, String environment, String bucket, String database,
            Map<String, String> settings) {
        TestStack stack = TestStack.create(environment, bucket, database, settings);
        stack.putParameters(pg.url(database));
        return stack;
    }

    String source() {
        return production.database;
    }

    String target() {
        return staging.database;
    }

    /** A scheduled backup of {@code stack}'s database; its job record, SUCCEEDED or FAILED. */
    static JobRecord backup(TestStack stack) {
        Map<String, Object> result = stack.handler(BackupWorkerHandler.class)
                .handleRequest(Map.of("source", "aws.events",
                        "detail-type", "Scheduled Event", "id", UUID.randomUUID().toString()),
                        new TestContext(Duration.ofMinutes(10)));
        return stack.wiring.jobs.find((String) result.get("jobId")).orElseThrow();
    }

    /** Production's backup, which must succeed; its file name. */
    String backupSource() {
        JobRecord done = backup(production);
        assertEquals(JobRecord.Status.SUCCEEDED, done.status(), done.message() + " / " + done.diagnostic());
        return done.filename();
    }

    /** Production's backup restored into staging's database (swap mode); the restore's job record. */
    JobRecord restore() {
        return restore(backupSource());
    }

    JobRecord restore(String filename) {
        JobRecord safety = backup(staging);
        assertEquals(JobRecord.Status.SUCCEEDED, safety.status(), safety.message());
        String jobId = JobStore.newJobId();
        assertTrue(staging.wiring.restoreLock().acquire(jobId, "ops", filename).acquired());
        staging.wiring.jobs.save(JobRecord.started(jobId, JobRecord.Type.RESTORE, staging.environment, filename, "ops",
                "api", Instant.now()));
        staging.handler(RestoreWorkerHandler.class)
                .handleRequest(new WorkerPayload(jobId, staging.environment, filename,
                        "SWAP").toMap(), new TestContext(Duration.ofMinutes(10)));
        return staging.wiring.jobs.find(jobId).orElseThrow();
    }
}
