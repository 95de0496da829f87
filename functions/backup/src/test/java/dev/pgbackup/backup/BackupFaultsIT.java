package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The backup worker and API with S3 and SSM behind a {@link FaultProxy}, and a database that goes away in the
 * middle of a dump: whatever fails, the job says FAILED, nothing half-written stays in the bucket (no object, no
 * open multipart upload, no manifest, no completion record), retention does not run, the lock is free again and
 * no pg_dump is left running.
 */
class BackupFaultsIT {
    /** Every backup key of the environment at the bucket root. */
    private static final String BACKUP_KEY = "pharmatracker-production-on-.*\\.dump";
    private static TestPostgres pg;
    /** Assertions read the bucket directly, never through the proxy and its rules. */
    private static S3Client direct;

    @BeforeAll
    static void seed() {
        BackupWorkerIT.seed();
        pg = BackupWorkerIT.pg;
        BackupWorkerIT.bigSource();
        direct = new AwsClients(Optional.of(MotoServer.get().endpoint()), true).s3();
    }

    @AfterAll
    static void close() {
        direct.close();
    }

    /** A production stack behind a fault proxy, with three older backups and a completion record for the newest. */
    static final class Fixture implements AutoCloseable {
        final FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint());
        final String bucket = BackupWorkerIT.newBucket();
        final TestStack stack;
        final List<String> older;
        final String lastBackupBefore;
        final AtomicInteger launched = new AtomicInteger();
        /** Dump sessions on the database before this test (another test class's pg_dump may still be ending). */
        final List<String> sessionsBefore;

        Fixture(String database, Map<String, String> overrides) {
            sessionsBefore = dumpSessions(database);
            Map<String, String> env = new HashMap<>(overrides);
            env.putIfAbsent("RETENTION_COUNT", "2"); // had retention run, the two oldest would be gone
            stack = TestStack.create("production", bucket, database, env, Clock.systemUTC(), proxy.endpoint());
            older = BackupWorkerIT.putFakeBackups(direct, bucket, "production", 3);
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
            return BackupWorkerIT.keys(direct, bucket).stream().filter(k -> k.startsWith(prefix)).toList();
        }

        /** Nothing of the failed backup in the bucket, retention not run, the lock free, no pg_dump left. */
        void assertNothingLeftBehind() {
            proxy.clearRules();
            assertEquals(older, BackupWorkerIT.backupKeys(direct, bucket),
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

    static JobRecord onlyJob(Fixture f) {
        List<String> jobs = f.keys("pgbackup/jobs/");
        assertEquals(1, jobs.size(), jobs.toString());
        String id = jobs.get(0).replaceAll("^.*/|\\.json$", "");
        return f.stack.wiring.jobs.find(id).orElseThrow();
    }

    static Map<String, Object> failedRun(Fixture f) {
        Map<String, Object> result = BackupWorkerIT.runScheduled(f.stack);
        assertEquals("FAILED", result.get("status"), result.toString());
        JobRecord job = BackupWorkerIT.job(f.stack, result);
        assertEquals(JobRecord.Status.FAILED, job.status());
        assertEquals(result.get("message"), job.message());
        assertTrue(f.stack.audit().contains("\"BackupFailed\":1"), "metric for the failed-backup alarm");
        return result;
    }

    static void assertNoSecrets(Fixture f, String message) {
        String everything = message + f.stack.audit() + f.read(f.stack.wiring.keys.lastBackup()).orElse("")
                + String.join("", f.keys("pgbackup/jobs/").stream().map(k -> f.read(k).orElse("")).toList());
        assertFalse(everything.contains(TestPostgres.APP_PASSWORD), "the password leaked");
        assertFalse(everything.contains("postgresql://"), "the database URL leaked");
    }

    /** CompleteMultipartUpload of a backup (POST ...?uploadId=). */
    static Predicate<FaultProxy.Request> completeUpload() {
        return FaultProxy.s3("POST", BACKUP_KEY, "uploadId");
    }

    // ---------------------------------------------------------------- S3 fails during the upload

    @Test
    void anUploadPartFailingOnTheSecondPartFailsTheBackupAndLeavesNothing() {
        try (Fixture f = new Fixture(BackupWorkerIT.bigSource(), Map.of())) {
            FaultProxy.Rule part = secondPartFails(f);

            Map<String, Object> result = failedRun(f);

            assertTrue(part.injected() >= 1, "the fault was injected: " + f.proxy.requests());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: "), message);
            assertTrue(message.endsWith("(no backup was written)"), message);
            assertTrue(f.proxy.requests(completeUpload()).isEmpty(), "never completed: " + f.proxy.requests());
            f.assertNothingLeftBehind();
        }
    }

    @Test
    void anUploadPartS3RefusesOnceIsRetriedAndTheBackupIsWhole() throws Exception {
        try (Fixture f = new Fixture(BackupWorkerIT.bigSource(), Map.of())) {
            FaultProxy.Rule part = f.proxy.when(FaultProxy.s3("PUT", BACKUP_KEY, "partNumber")).afterPasses(1).times(1)
                    .respondS3Error(500, "InternalError", "injected once by the test");

            Map<String, Object> result = BackupWorkerIT.runScheduled(f.stack);

            assertEquals("SUCCEEDED", result.get("status"), String.valueOf(result.get("message")));
            assertEquals(1, part.injected());
            String filename = (String) result.get("filename");
            java.nio.file.Path dump = BackupWorkerIT.download(f.stack.s3, f.stack.bucket, filename);
            var manifest = f.stack.wiring.catalog.manifest(f.stack.wiring.catalog.find(filename).orElseThrow())
                    .orElseThrow();
            assertEquals(dev.pgbackup.common.Hashes.hex(dev.pgbackup.common.Hashes.newSha256()
                    .digest(java.nio.file.Files.readAllBytes(dump))), manifest.sha256(), "every byte once, in order");
        }
    }

    @Test
    void aFailedUploadPartIsReportedAsWhatS3AnsweredNotAsAnSdkInternal() {
        try (Fixture f = new Fixture(BackupWorkerIT.bigSource(), Map.of())) {
            secondPartFails(f);

            String message = (String) failedRun(f).get("message");

            assertEquals("Backup failed: S3 answered 500 (InternalError) (no backup was written)", message);
        }
    }

    private static FaultProxy.Rule secondPartFails(Fixture f) {
        return f.proxy.when(FaultProxy.s3("PUT", BACKUP_KEY, "partNumber")).afterPasses(1)
                .respondS3Error(500, "InternalError", "injected by the test");
    }

    @Test
    void aCompleteMultipartUploadFailingOnEveryAttemptFailsTheBackupAndLeavesNothing() {
        try (Fixture f = new Fixture(BackupWorkerIT.bigSource(), Map.of())) {
            FaultProxy.Rule complete = f.proxy.when(completeUpload())
                    .respondS3Error(500, "InternalError", "injected by the test");

            Map<String, Object> result = failedRun(f);

            assertTrue(complete.injected() > 1, "the SDK retried the completion: " + complete.injected());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: "), message);
            assertTrue(message.contains("S3 answered 500 (InternalError)"), message);
            assertTrue(message.endsWith("(no backup was written)"), message);
            assertTrue(f.proxy.requests(FaultProxy.s3("PUT", BACKUP_KEY, "partNumber")).size() >= 2,
                    "every part was sent first: " + f.proxy.requests());
            f.assertNothingLeftBehind();
        }
    }

    @Test
    void aCreateMultipartUploadFailingOnEveryAttemptFailsTheBackupAndLeavesNothing() {
        try (Fixture f = new Fixture(BackupWorkerIT.bigSource(), Map.of())) {
            FaultProxy.Rule create = f.proxy.when(FaultProxy.s3("POST", BACKUP_KEY, "uploads"))
                    .respondS3Error(500, "InternalError", "injected by the test");

            Map<String, Object> result = failedRun(f);

            assertTrue(create.injected() > 1, "the SDK retried the creation: " + create.injected());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: "), message);
            assertTrue(message.contains("S3 answered 500 (InternalError)"), message);
            assertTrue(message.endsWith("(no backup was written)"), message);
            assertTrue(f.proxy.requests(FaultProxy.s3("PUT", BACKUP_KEY, "partNumber")).isEmpty(),
                    "no part without an upload: " + f.proxy.requests());
            f.assertNothingLeftBehind();
        }
    }

    // ---------------------------------------------------------------- records

    /**
     * The archive is whole, but its manifest cannot be written: no restore could verify it or know its class, so it
     * is no backup. Reported FAILED, the archive removed, nothing else touched.
     */
    @Test
    void aManifestThatCannotBeWrittenIsNoBackupAndItsArchiveIsRemoved() {
        try (Fixture f = new Fixture(BackupWorkerIT.SOURCE_DB, Map.of())) {
            FaultProxy.Rule manifest = f.proxy.when(FaultProxy.s3("PUT", "pgbackup/manifests/.*\\.json", null))
                    .respondS3Error(500, "InternalError", "injected by the test");

            Map<String, Object> result = failedRun(f);

            assertTrue(manifest.injected() >= 1, f.proxy.requests().toString());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: its records could not be written and read back as a restore "
                    + "reads them ("), message);
            assertTrue(message.endsWith("; no backup was written"), message);
            assertTrue(f.proxy.requests(FaultProxy.s3(null, BACKUP_KEY, null)).stream()
                    .anyMatch(r -> r.isWrite() && r.status() == 200), "the archive itself was written: "
                    + f.proxy.requests());
            f.assertNothingLeftBehind();
        }
    }

    /** The row counts read back other than written (a store that changed them): the same, nothing left behind. */
    @Test
    void rowCountsThatReadBackDamagedAreNoBackup() {
        try (Fixture f = new Fixture(BackupWorkerIT.SOURCE_DB, Map.of())) {
            f.proxy.when(FaultProxy.s3("GET", "pgbackup/manifests/.*\\.counts\\.json\\.gz", null))
                    .respond(200, "application/octet-stream", "not the counts that were written");

            Map<String, Object> result = failedRun(f);

            assertTrue(((String) result.get("message")).contains("do not match the checksum their manifest recorded"),
                    String.valueOf(result.get("message")));
            f.assertNothingLeftBehind();
            assertEquals(List.of(), f.keys("pgbackup/manifests/"), "neither the manifest nor the counts stay");
        }
    }

    // ---------------------------------------------------------------- SSM

    @Test
    void ssmThrottlingEveryAttemptForTheDatabaseUrlFailsTheJobWithoutNamingTheUrl() {
        try (Fixture f = new Fixture(BackupWorkerIT.SOURCE_DB, Map.of())) {
            FaultProxy.Rule throttled = f.proxy.when(FaultProxy.ssm("GetParameter"))
                    .respondSsmError(400, "ThrottlingException", "Rate exceeded");

            Map<String, Object> result = failedRun(f);

            assertTrue(throttled.injected() > 1, "the SDK retried: " + throttled.injected());
            assertSsmFailure(f, result);
        }
    }

    @Test
    void ssmDroppingTheConnectionOnEveryAttemptFailsTheJobWithoutNamingTheUrl() {
        try (Fixture f = new Fixture(BackupWorkerIT.SOURCE_DB, Map.of())) {
            FaultProxy.Rule dropped = f.proxy.when(FaultProxy.ssm("GetParameter")).dropConnection();

            Map<String, Object> result = failedRun(f);

            assertTrue(dropped.injected() > 1, "the SDK retried: " + dropped.injected());
            assertSsmFailure(f, result);
        }
    }

    private static void assertSsmFailure(Fixture f, Map<String, Object> result) {
        String message = (String) result.get("message");
        assertEquals("A configuration parameter could not be read from SSM; try again later", message);
        assertNoSecrets(f, message);
        assertTrue(f.proxy.requests(FaultProxy.s3(null, BACKUP_KEY, null)).stream().noneMatch(r -> r.isWrite()),
                "nothing was uploaded: " + f.proxy.writes());
        f.assertNothingLeftBehind();
    }

    @Test
    void ssmThrottlingOnceIsRetriedByTheSdkAndTheBackupSucceeds() {
        try (Fixture f = new Fixture(BackupWorkerIT.SOURCE_DB, Map.of())) {
            FaultProxy.Rule once = f.proxy.when(FaultProxy.ssm("GetParameter")).times(1)
                    .respondSsmError(400, "ThrottlingException", "Rate exceeded");

            Map<String, Object> result = BackupWorkerIT.runScheduled(f.stack);

            assertEquals("SUCCEEDED", result.get("status"), String.valueOf(result.get("message")));
            assertEquals(1, once.injected());
            List<FaultProxy.Request> calls = f.proxy.requests(FaultProxy.ssm("GetParameter"));
            assertEquals(400, calls.get(0).status(), calls.toString());
            assertEquals(200, calls.get(1).status(), calls.toString());
            String filename = (String) result.get("filename");
            List<String> expected = new ArrayList<>(f.older.subList(2, 3));
            expected.add(filename);
            assertEquals(expected.stream().sorted().toList(), BackupWorkerIT.backupKeys(direct, f.bucket),
                    "the new backup, and retention kept two");
            assertTrue(f.read(f.stack.wiring.keys.lastBackup()).orElseThrow().contains(filename));
            assertEquals(Optional.empty(), f.stack.wiring.backupLock().holder());
        }
    }

    @Test
    void theBackupApiAnswers503WhenSsmCannotGiveTheJwtSecret() throws Exception {
        try (Fixture f = new Fixture(BackupWorkerIT.SOURCE_DB, Map.of())) {
            FaultProxy.Rule throttled = f.proxy.when(FaultProxy.ssm("GetParameter"))
                    .respondSsmError(400, "ThrottlingException", "Rate exceeded");
            String token = f.stack.token("alice@example.com", "WEB_ACCESS");

            APIGatewayV2HTTPResponse response = f.stack.handler(BackupApiHandler.class).handleRequest(
                    ApiEvents.request("POST", "/api/setting/backup", TestStack.bearer(token), null),
                    new TestContext(Duration.ofSeconds(30)));

            assertEquals(503, response.getStatusCode(), response.getBody());
            assertEquals("application/json", response.getHeaders().get("Content-Type"));
            JsonNode body = Json.MAPPER.readTree(response.getBody());
            assertFalse(body.get("success").asBoolean(), body.toString());
            assertEquals("A configuration parameter could not be read from SSM; try again later", body.get("message").asText());
            assertEquals(2, body.size(), body.toString());
            assertTrue(throttled.injected() > 1, "the SDK retried: " + throttled.injected());
            assertFalse(response.getBody().contains(TestStack.jwtSecret("production")));
            f.stack.awaitWorkers();
            assertEquals(0, f.launched.get(), "no worker launched");
            assertEquals(List.of(), f.keys("pgbackup/jobs/"), "no job record");
            assertEquals(List.of(), f.keys("pgbackup/locks/"), "no lock");
            assertEquals(List.of(), f.keys("pgbackup/claims/"), "no claim");
            assertTrue(f.proxy.writes().stream().noneMatch(r -> r.key() != null), "no S3 write: " + f.proxy.writes());
            assertTrue(f.stack.audit().contains("\"action\":\"backup.request\""), f.stack.audit());
            assertTrue(f.stack.audit().contains("\"status\":503"), f.stack.audit());
        }
    }

    // ---------------------------------------------------------------- the database goes away

    @Test
    void theDatabaseEndingTheDumpSessionFailsTheBackupAndLeavesNothing() throws Exception {
        // COPY text of the orders is about twice what pg_dump writes; what is left after the 9 MB the wrapper passes
        // on must be far more than the loopback socket buffers (~10 MB) hold, or the server may finish its COPY
        // into them before the session is ended and the dump succeeds (it did, under load, with 14,000 rows)
        String database = "huge_source";
        if (!pg.databaseExists(database)) {
            pg.createDatabase(database);
            SeedData.seed(pg, database, 45000, "huge");
        }
        // more than one part of real output, then the wrapper stops reading until the test has ended the
        // session (pg_dump blocks on its full pipe in the middle of COPY); pipefail keeps pg_dump's exit code
        Path tools = FakeTools.wrapping("pg_dump", "set -o pipefail\n\"$REAL\" \"$@\" | { head -c 9000000; "
                + "touch \"$ROOT/paused\"; for i in $(seq 600); do [ -e \"$ROOT/go\" ] && break; sleep 0.1; done; cat; }");
        try (Fixture f = new Fixture(database, Map.of("PG_TOOLS_DIR", tools.toString()))) {
            CompletableFuture<Map<String, Object>> worker =
                    CompletableFuture.supplyAsync(() -> BackupWorkerIT.runScheduled(f.stack));
            // pg_dump is blocked in the middle of its COPY, on a full pipe (the SDK holds the 9 MB: it starts a
            // multipart upload only once two whole parts are buffered)
            List<String> sessions = Waits.until(Duration.ofSeconds(60), "pg_dump paused in its COPY", () -> {
                assertFalse(worker.isDone(), () -> "the backup ended first: " + worker.join());
                List<String> s = f.newDumpSessions();
                // the server itself blocked on the client mid-COPY: ending the session now must cut the data
                return Files.exists(tools.resolve("paused")) && !s.isEmpty() && pg.query("postgres",
                        "select 1 from pg_stat_activity where pid = " + s.get(0)
                                + " and state = 'active' and wait_event = 'ClientWrite'").size() == 1 ? s : null;
            });
            assertEquals(1, sessions.size(), sessions.toString());
            assertFalse(pgDumps().isEmpty(), "the probe for a running pg_dump sees this one");
            assertEquals(List.of("t"), pg.query("postgres", "select pg_terminate_backend(" + sessions.get(0) + ")"));
            Files.writeString(tools.resolve("go"), "");

            Map<String, Object> result = worker.get(2, TimeUnit.MINUTES);

            assertEquals("FAILED", result.get("status"), result.toString());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: pg_dump exited with code 1: the connection to the database "
                    + "failed or was lost (no backup was written; details in job "), message);
            JobRecord job = onlyJob(f);
            assertEquals(JobRecord.Status.FAILED, job.status());
            assertTrue(job.diagnostic().contains("terminating connection due to administrator command")
                    || job.diagnostic().contains("server closed the connection"), job.diagnostic());
            assertNoSecrets(f, message);
            f.assertNothingLeftBehind();
        }
    }
}
