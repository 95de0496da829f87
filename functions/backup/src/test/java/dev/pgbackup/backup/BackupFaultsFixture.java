package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * A production stack behind a {@link FaultProxy}, with three older backups and a completion record for the newest,
 * and the checks the backup fault ITs share ({@link BackupUploadFaultsIT}, {@link BackupSsmFaultsIT},
 * {@link BackupDatabaseFaultsIT}): whatever fails, the job says FAILED, nothing half-written stays in the bucket (no
 * object, no open multipart upload, no manifest, no completion record), retention does not run, the lock is free
 * again and no pg_dump is left running.
 */
final class BackupFaultsFixture implements AutoCloseable {
    /** Every backup key of the environment at the bucket root. */
    static final String BACKUP_KEY = "pharmatracker-production-on-.*\\.dump";
    static TestPostgres pg;
    /** Assertions read the bucket directly, never through the proxy and its rules. */
    static S3Client direct;

    final FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint());
    final String bucket = BackupWorkerFixture.newBucket();
    final TestStack stack;
    final List<String> older;
    final String lastBackupBefore;
    final AtomicInteger launched = new AtomicInteger();
    /** Dump sessions on the database before this test (another test class's pg_dump may still be ending). */
    final List<String> sessionsBefore;

    BackupFaultsFixture(String database, Map<String, String> overrides) {
        sessionsBefore = dumpSessions(database);
        Map<String, String> env = new HashMap<>(overrides);
        env.putIfAbsent("RETENTION_COUNT", "2"); // had retention run, the two oldest would be gone
        stack = TestStack.create("production", bucket, database, env, Clock.systemUTC(), proxy.endpoint());
        older = BackupWorkerFixture.putFakeBackups(direct, bucket, "production", 3);
        BackupFiles.markCompleted(direct, bucket, older.get(2), "production", Instant.now().minus(Duration.ofDays(1)));
        lastBackupBefore = read(stack.wiring.keys.lastBackup()).orElseThrow();
        BackupWorkerHandler worker = stack.handler(BackupWorkerHandler.class);
        stack.worker(stack.env.get("BACKUP_WORKER_FUNCTION"), (payload, context) -> {
            launched.incrementAndGet();
            worker.handleRequest(BackupApiIT.payloadMap(payload), context);
        });
    }

    Optional<String> read(String key) {
        try {
            return Optional.of(direct.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    List<String> keys(String prefix) {
        return BackupWorkerFixture.keys(direct, bucket).stream().filter(k -> k.startsWith(prefix)).toList();
    }

    /** Nothing of the failed backup in the bucket, retention not run, the lock free, no pg_dump left. */
    void assertNothingLeftBehind() {
        proxy.clearRules();
        assertEquals(older, BackupWorkerFixture.backupKeys(direct, bucket),
                "no new backup object, and retention did not delete the older ones");
        assertEquals(List.of(), direct.listMultipartUploads(b -> b.bucket(bucket)).uploads(), "no open upload");
        assertEquals(List.of(), keys("pgbackup/manifests/"), "no manifest");
        assertEquals(Optional.of(lastBackupBefore), read(stack.wiring.keys.lastBackup()),
                "the completion record still names the previous backup");
        assertEquals(Optional.empty(), stack.wiring.backupLock().holder(), "the backup lock is released");
        assertNoPgDumpRunning(stack.database, sessionsBefore);
    }

    /** This test's dump sessions: the ones that were not there before it. */
    List<String> newDumpSessions() {
        List<String> now = new ArrayList<>(dumpSessions(stack.database));
        now.removeAll(sessionsBefore);
        return now;
    }

    @Override
    public void close() {
        proxy.close();
    }

    /** Seeds the sources and opens the client the assertions read the bucket with, once per test class. */
    static void seed() {
        BackupWorkerFixture.seed();
        pg = BackupWorkerFixture.pg;
        BackupWorkerFixture.bigSource();
        direct = new AwsClients(Optional.of(MotoServer.get().endpoint()), true).s3();
    }

    static void closeDirect() {
        direct.close();
    }

    /**
     * No pg_dump started by this JVM (the product passes the database only in the child's environment, so the
     * command line cannot tell whose it is) is alive, and no dump's COPY other than {@code before} is on the server.
     */
    static void assertNoPgDumpRunning(String database, List<String> before) {
        Waits.until(Duration.ofSeconds(20), "every pg_dump of this JVM to be gone", () -> pgDumps().isEmpty());
        Waits.until(Duration.ofSeconds(20), "no new dump session on " + database,
                () -> before.containsAll(dumpSessions(database)));
    }

    static List<String> pgDumps() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.info().commandLine().orElse(p.info().command().orElse("")))
                .filter(c -> c.contains("pg_dump")).toList();
    }

    static List<String> dumpSessions(String database) {
        return pg.query("postgres", "select pid from pg_stat_activity where application_name = 'pg-backup-lambda' "
                + "and datname = '" + database + "' and query ilike 'copy%'");
    }

    static JobRecord onlyJob(BackupFaultsFixture f) {
        List<String> jobs = f.keys("pgbackup/jobs/");
        assertEquals(1, jobs.size(), jobs.toString());
        String id = jobs.get(0).replaceAll("^.*/|\\.json$", "");
        return f.stack.wiring.jobs.find(id).orElseThrow();
    }

    static Map<String, Object> failedRun(BackupFaultsFixture f) {
        Map<String, Object> result = BackupWorkerFixture.runScheduled(f.stack);
        assertEquals("FAILED", result.get("status"), result.toString());
        JobRecord job = BackupWorkerFixture.job(f.stack, result);
        assertEquals(JobRecord.Status.FAILED, job.status());
        assertEquals(result.get("message"), job.message());
        assertTrue(f.stack.audit().contains("\"BackupFailed\":1"), "metric for the failed-backup alarm");
        return result;
    }

    static void assertNoSecrets(BackupFaultsFixture f, String message) {
        String everything = message + f.stack.audit() + f.read(f.stack.wiring.keys.lastBackup()).orElse("")
                + String.join("", f.keys("pgbackup/jobs/").stream().map(k -> f.read(k).orElse("")).toList());
        assertFalse(everything.contains(TestPostgres.APP_PASSWORD), "the password leaked");
        assertFalse(everything.contains("postgresql://"), "the database URL leaked");
    }

    /** CompleteMultipartUpload of a backup (POST ...?uploadId=). */
    static Predicate<FaultProxy.Request> completeUpload() {
        return FaultProxy.s3("POST", BACKUP_KEY, "uploadId");
    }
}
