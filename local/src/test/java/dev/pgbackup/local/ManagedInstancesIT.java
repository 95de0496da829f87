package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The workers as they run on Lambda Managed Instances (WORKER_COMPUTE=managed-instances), through the local
 * run: one handler object per worker serving several invocations at once in one JVM, a configured deadline
 * that only the worker itself enforces, and the up-front refusal of a database too big for the window. Tools
 * that wait for a file the test creates make every overlap deterministic: nothing here depends on timing.
 */
class ManagedInstancesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String BUCKET = "managed-instances-bucket";
    private static final String PASSKEY = "managed-instances-passkey";
    /** A tool script's first lines: say it started, then wait until the test lets it go on. */
    private static final String GATE = "touch \"$ROOT/started\"\nwhile [ ! -e \"$ROOT/release\" ]; do sleep 0.05; done\n";

    private static TestPostgres pg;
    private LocalRun run;

    @BeforeAll
    static void bucket() {
        pg = TestPostgres.get();
        TestStack.createBucket(BUCKET);
    }

    @AfterEach
    void stop() {
        if (run != null) {
            run.close();
        }
    }

    private static Map<String, String> env(String environment, Path tools, Map<String, String> extra) {
        pg.dropDatabase(environment);
        pg.createDatabase(environment);
        SeedData.seed(pg, environment, 200, environment);
        Map<String, String> env = new HashMap<>();
        env.put("ENVIRONMENT", environment);
        env.put("APP_NAME", "pharmatracker");
        env.put("PORT", "0");
        env.put("BUCKET_NAME", BUCKET);
        env.put("AWS_ENDPOINT_URL", MotoServer.get().endpoint().toString());
        env.put("DATABASE_URL", pg.url(environment));
        env.put("JWT_SECRET", "managed-instances-jwt-secret-of-" + environment + "-0123456789");
        env.put("RESTORE_PASSKEY", PASSKEY);
        env.put("WAIT_BUDGET_SECONDS", "0");
        env.put("DB_URL_PARAMETER", "/mi/" + environment + "/db-url");
        env.put("JWT_SECRET_PARAMETER", "/mi/" + environment + "/jwt-secret");
        env.put("RESTORE_PASSKEY_PARAMETER", "/mi/" + environment + "/restore-passkey");
        env.put("PG_TOOLS_DIR", tools.toString());
        env.put("WORKER_COMPUTE", "managed-instances");
        env.put("WORKER_TIMEOUT_SECONDS", "5400");
        // the capacity provider's network (template rule ManagedInstancesNeedSubnets); nothing local uses it
        env.put("SubnetIds", "subnet-0local");
        env.put("SecurityGroupIds", "sg-0local");
        env.putAll(extra);
        return env;
    }

    private JsonNode call(String method, String path, int expected) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + run.port() + path))
                .header("Authorization", "Bearer " + run.token())
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expected, response.statusCode(), () -> method + " " + path + ": " + response.body());
        return JSON.readTree(response.body());
    }

    private JsonNode post(String path, String body, int expected) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + run.port() + path))
                .header("Authorization", "Bearer " + run.token()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expected, response.statusCode(), () -> path + ": " + response.body());
        return JSON.readTree(response.body());
    }

    /** The job once it is no longer RUNNING (404 while a scheduled job waits for the lock counts as running). */
    private JsonNode finished(String jobId) {
        return Waits.until(Duration.ofMinutes(3), "job " + jobId, () -> {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + run.port()
                        + "/api/setting/jobs/" + jobId)).header("Authorization", "Bearer " + run.token()).build(),
                        HttpResponse.BodyHandlers.ofString());
                JsonNode job = JSON.readTree(r.body());
                return r.statusCode() == 200 && !"RUNNING".equals(job.get("status").asText()) ? job : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static S3Client s3() {
        return new AwsClients(Optional.of(MotoServer.get().endpoint()), true).s3();
    }

    private static List<String> keys(String prefix) {
        try (S3Client s3 = s3()) {
            return s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream()
                    .map(S3Object::key).toList();
        }
    }

    /** Restores {@code filename} with pg_restore alone into a scratch database and returns its snapshot. */
    private static Map<String, List<String>> restoredByHand(String filename, String scratch) throws Exception {
        Path file = Files.createTempFile("mi-", ".dump");
        try (S3Client s3 = s3()) {
            Files.delete(file);
            s3.getObject(b -> b.bucket(BUCKET).key(filename), file);
        }
        pg.dropDatabase(scratch);
        pg.createDatabase(scratch);
        List<String> command = List.of(RepoPaths.pgTool(16, "pg_restore").toString(), "--no-owner", "--no-acl",
                "--exit-on-error", "--dbname=host=127.0.0.1 port=" + pg.port() + " user=postgres dbname=" + scratch,
                file.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), () -> command + ": " + out);
        Files.delete(file);
        return pg.snapshot(scratch);
    }

    /** Nothing of a job outlives it: no tool process, no tool thread. */
    private static void assertNothingLeftRunning(Path tools) {
        List<String> children = ProcessHandle.current().descendants()
                .map(h -> h.info().commandLine().orElse(""))
                .filter(c -> c.contains(tools.toString()) || c.contains("sleep 600")).toList();
        assertEquals(List.of(), children, "tool processes left behind");
        List<String> threads = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(Thread::getName).filter(n -> n.startsWith("pg_dump") || n.startsWith("pg_restore")).toList();
        assertEquals(List.of(), threads, "tool threads left behind");
    }

    @Test
    void twoBackupInvocationsShareOneHandlerAndEachMakesAWholeBackup() throws Exception {
        Path tools = FakeTools.wrapping("pg_dump", GATE + "exec \"$REAL\" \"$@\"");
        run = LocalRun.start(env("mi_two", tools, Map.of()), RepoPaths.root(), RecordedCalls.INSTANCE);
        String worker = run.config().backupWorkerFunction();

        String onDemand = post("/api/setting/backup", "{}", 202).get("jobId").asText();
        Waits.until(Duration.ofMinutes(1), "the first pg_dump to start", () -> Files.exists(tools.resolve("started")));
        // EventBridge's schedule fires while the on-demand backup holds the lock: a second invocation, same handler
        String scheduled = post("/local/scheduled-backup", "", 202).get("jobId").asText();
        Waits.until(Duration.ofMinutes(1), "both invocations in flight", () -> run.workers().peakInFlight(worker) == 2);
        Files.createFile(tools.resolve("release"));

        JsonNode first = finished(onDemand);
        JsonNode second = finished(scheduled);
        assertEquals("SUCCEEDED", first.get("status").asText(), first.toString());
        assertEquals("SUCCEEDED", second.get("status").asText(), second.toString());
        assertEquals(5355, first.get("maxDurationSeconds").asInt());
        assertNotEquals(first.get("filename").asText(), second.get("filename").asText());
        Map<String, List<String>> source = pg.snapshot("mi_two");
        assertEquals(source, restoredByHand(first.get("filename").asText(), "mi_two_check_a"));
        assertEquals(source, restoredByHand(second.get("filename").asText(), "mi_two_check_b"));
        assertEquals(List.of(), keys("pgbackup/locks/pharmatracker-mi_two/"), "the lock is free");
        assertNothingLeftRunning(tools);
    }

    @Test
    void aRestoreDeliveredTwiceAtOnceRunsOnce() throws Exception {
        Path tools = FakeTools.wrapping("pg_restore", GATE + "exec \"$REAL\" \"$@\"");
        run = LocalRun.start(env("mi_dup", tools, Map.of()), RepoPaths.root(), RecordedCalls.INSTANCE);
        String worker = run.config().restoreWorkerFunction();
        String backupJob = post("/api/setting/backup", "{}", 202).get("jobId").asText();
        String filename = finished(backupJob).get("filename").asText();
        pg.execute("mi_dup", "insert into customers (name, email) values ('after the backup', 'late@example.com')");

        JsonNode started = post("/api/setting/restore", "{\"filename\":\"" + filename + "\",\"passkey\":\"" + PASSKEY
                + "\"}", 202);
        String jobId = started.get("jobId").asText();
        Waits.until(Duration.ofMinutes(1), "the first restore to reach pg_restore",
                () -> Files.exists(tools.resolve("started")));
        // Lambda delivers the same asynchronous event again while the first invocation runs
        run.workers().launch(worker, Json.write(new WorkerPayload(jobId, "mi_dup", filename, "SWAP").toMap()));
        List<Map<String, Object>> early = Waits.until(Duration.ofMinutes(1), "the duplicate to end",
                () -> run.workers().results(worker).isEmpty() ? null : run.workers().results(worker));
        assertEquals("IGNORED", early.get(0).get("status"), early.toString());
        assertEquals(2, run.workers().peakInFlight(worker));
        Files.createFile(tools.resolve("release"));

        JsonNode job = finished(jobId);
        assertEquals("SUCCEEDED", job.get("status").asText(), job.toString());
        assertEquals(List.of("0"),
                pg.query("mi_dup", "select count(*) from customers where name = 'after the backup'"));
        assertEquals(1, pg.databases("mi_dup_pre_restore_").size(), "one swap, one kept copy");
        assertEquals(List.of(), keys("pgbackup/locks/pharmatracker-mi_dup/"), "the lock is free");
        assertNothingLeftRunning(tools);
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertEquals(List.of(), files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("restore-" + jobId)).toList(), "no downloaded archive left");
        }
    }

    @Test
    void aWorkerPastItsDeadlineStopsItselfAndLeavesNothing() throws Exception {
        // pg_dump's output never ends: a worker that did not stop itself would wait for ever
        Path tools = FakeTools.wrapping("pg_dump", "\"$REAL\" \"$@\"\nexec sleep 600");
        run = LocalRun.start(env("mi_late", tools, Map.of("WORKER_TIMEOUT_SECONDS", "60")), RepoPaths.root(),
                RecordedCalls.INSTANCE);

        JsonNode started = post("/api/setting/backup", "{}", 202);
        assertEquals(15, started.get("maxDurationSeconds").asInt(), "60 s less the 45 s kept to stop and report");
        JsonNode job = finished(started.get("jobId").asText());

        assertEquals("FAILED", job.get("status").asText(), job.toString());
        assertTrue(job.get("message").asText().contains("did not finish before the worker's time limit"),
                job.toString());
        String filename = started.get("filename").asText();
        assertFalse(keys("pharmatracker-mi_late-").contains(filename), "no backup object");
        try (S3Client s3 = s3()) {
            assertEquals(List.of(), s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix("pharmatracker-mi_late-"))
                    .uploads(), "no multipart upload left open");
        }
        assertEquals(List.of(), keys("pgbackup/locks/pharmatracker-mi_late/"), "the lock is free");
        assertNothingLeftRunning(tools);
    }

    @Test
    void aDatabaseTooBigForTheWindowIsRefusedBeforePgDumpStarts() throws Exception {
        Path tools = FakeTools.wrapping("pg_dump", "touch \"$ROOT/ran\"\nexec \"$REAL\" \"$@\"");
        // 15 s at 10 kB/s: 150 kB, and a database is at least several MB
        run = LocalRun.start(env("mi_big", tools, Map.of("WORKER_TIMEOUT_SECONDS", "60",
                "BACKUP_RATE_MB_PER_SECOND", "0.01", "WAIT_BUDGET_SECONDS", "20")), RepoPaths.root(),
                RecordedCalls.INSTANCE);

        JsonNode refused = post("/api/setting/backup", "{}", 422);

        String message = refused.get("message").asText();
        assertTrue(message.startsWith("Backup refused: the database of 'mi_big' is "), message);
        assertTrue(message.contains("(pg_database_size); at 0.01 MB/s a backup takes about"), message);
        assertTrue(message.contains("longer than the 15 s a backup may run on this stack. Nothing was started."),
                message);
        assertTrue(refused.has("jobId"), refused.toString());
        assertFalse(Files.exists(tools.resolve("ran")), "pg_dump never started");
        assertEquals(List.of(), keys("pharmatracker-mi_big-"), "no backup object");
        assertEquals(List.of(), keys("pgbackup/locks/pharmatracker-mi_big/"), "the lock is free");
        // the refusal is the job's outcome too
        JsonNode job = call("GET", "/api/setting/jobs/" + refused.get("jobId").asText(), 200);
        assertEquals("FAILED", job.get("status").asText());
    }
}
