package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.template.Stack;
import dev.pgbackup.testsupport.GlobalCallRecorder;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every file in {@code events/} through the real Lambda runtime: the AWS Lambda Runtime Interface
 * Emulator with the Java Runtime Interface Client, running the packaged (shaded) function jars with the
 * handlers named in template.yaml, against moto (S3, SSM, and Lambda's asynchronous invoke API), a real
 * PostgreSQL and the layer's pg_dump/pg_restore. API calls whose job outlives the wait budget answer 202;
 * the test then plays Lambda's asynchronous queue and invokes the worker with the job id, as Lambda would.
 */
class RuntimeEmulatorIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN_PLACEHOLDER = "REPLACE_WITH_A_JWT_SIGNED_WITH_THE_STACK_JWT_SECRET";
    private static final String PASSKEY_PLACEHOLDER = "REPLACE_WITH_THE_RESTORE_PASSKEY";
    private static final String DB = "rie_staging";
    private static final String BUCKET = "rie-runtime-bucket";

    /** Which function of template.yaml an event file is for. */
    private static final Map<String, String> FUNCTION_OF_ROUTE = Map.of(
            "POST /api/setting/backup", "BackupApiFunction",
            "GET /api/setting/backups", "ListBackupsFunction",
            "GET /api/setting/jobs/{jobId}", "JobStatusFunction",
            "GET /api/setting/retention", "RetentionPreviewFunction",
            "POST /api/setting/restore", "RestoreApiFunction");

    private static final Map<String, LambdaRuntimeEmulator> functions = new LinkedHashMap<>();
    private static TestPostgres pg;
    private static TestStack stack;

    @BeforeAll
    static void startFunctions() throws Exception {
        pg = TestPostgres.get();
        pg.dropDatabase(DB);
        pg.createDatabase(DB);
        SeedData.seed(pg, DB, 300, "rie");
        TestStack.createBucket(BUCKET);
        // the API hands a job to its worker through Lambda's asynchronous invoke (moto's Lambda API accepts it) and
        // answers 202 after this budget; the test then invokes the worker itself. The refresh schedule's event reaches
        // the backup worker; production has no backup in this bucket.
        stack = TestStack.create("staging", BUCKET, DB, Map.of("WaitBudgetSeconds", "1",
                "RefreshSourceEnvironment", "production"));
        registerWorkersInMotoLambda(stack.env.get("BACKUP_WORKER_FUNCTION"), stack.env.get("RESTORE_WORKER_FUNCTION"));
        Path logs = Files.createDirectories(RepoPaths.root().resolve("local/target/rie-logs"));
        List<Stack.Function> template = stack.template.functions();
        ExecutorService pool = Executors.newFixedThreadPool(template.size());
        try {
            Map<String, Future<LambdaRuntimeEmulator>> starting = new LinkedHashMap<>();
            for (Stack.Function f : template) {
                Map<String, String> env = environment(f);
                starting.put(f.logicalId(), pool.submit(() -> LambdaRuntimeEmulator.start(f.logicalId(),
                        functionJar(codeUri(f), f.logicalId()), f.handler(), env, logs, recorder())));
            }
            for (var e : starting.entrySet()) {
                functions.put(e.getKey(), e.getValue().get());
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(List.of("BackupApiFunction", "BackupWorkerFunction", "JobStatusFunction", "ListBackupsFunction",
                "RestoreApiFunction", "RestoreDrillFunction", "RestoreWorkerFunction", "RetentionPreviewFunction"),
                functions.keySet().stream().sorted().toList(), "the functions of template.yaml");
    }

    /**
     * What Lambda gives the function: the variables template.yaml sets for it (the layer where the tests have it),
     * the runtime's own, the emulator's endpoint and credentials, and where to record its calls.
     */
    private static Map<String, String> environment(Stack.Function f) {
        Map<String, String> env = new HashMap<>(stack.environmentOf(f));
        env.put("AWS_ENDPOINT_URL", MotoServer.get().endpoint().toString());
        env.put("S3_FORCE_PATH_STYLE", "true");
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_ACCESS_KEY_ID", "test");
        env.put("AWS_SECRET_ACCESS_KEY", "test");
        env.put("AWS_LAMBDA_FUNCTION_TIMEOUT", Integer.toString(f.timeoutSeconds()));
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(f.memoryMb()));
        env.put("PGBACKUP_CALLS_FILE", RepoPaths.root().resolve("local/target/iam-calls/rie-" + f.logicalId() + "-"
                + java.util.UUID.randomUUID().toString().substring(0, 8) + ".jsonl").toString());
        env.put("PGBACKUP_CALLS_STACK", stack.template.name);
        env.put("PGBACKUP_CALLS_FUNCTION", f.logicalId());
        return env;
    }

    /** The function's code: the module the template's CodeUri names (the SAM transform made it an S3 key). */
    @SuppressWarnings("unchecked")
    private static String codeUri(Stack.Function f) {
        return String.valueOf(((Map<String, Object>) stack.template.properties(f.logicalId()).get("Code")).get("S3Key"));
    }

    /**
     * The classpath entries that make the SDK in the function's process record every call (GlobalCallRecorder, from
     * the tests' own classes, registered as a global interceptor in a directory only this classpath has).
     */
    private static List<String> recorder() throws IOException {
        Path registration = RepoPaths.root().resolve("local/target/rie-recorder");
        Path file = registration.resolve(GlobalCallRecorder.REGISTRATION);
        Files.createDirectories(file.getParent());
        Files.writeString(file, GlobalCallRecorder.class.getName() + "\n");
        try {
            return List.of(registration.toString(),
                    Path.of(GlobalCallRecorder.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
    }

    @AfterAll
    static void stopFunctions() {
        functions.values().forEach(LambdaRuntimeEmulator::close);
    }

    /**
     * The worker functions as moto's Lambda API knows them, so that the API functions' asynchronous invoke
     * is accepted (202) as in AWS. moto is told not to run them (it would need Docker): the test invokes
     * the workers under the emulator itself.
     */
    static void registerWorkersInMotoLambda(String... names) throws Exception {
        java.net.URI moto = MotoServer.get().endpoint();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        http.send(java.net.http.HttpRequest.newBuilder(moto.resolve("/moto-api/config"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"lambda\":{\"use_docker\":false}}")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        String trust = java.net.URLEncoder.encode("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}",
                java.nio.charset.StandardCharsets.UTF_8);
        var created = http.send(java.net.http.HttpRequest.newBuilder(moto.resolve("/"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request, "
                        + "SignedHeaders=host, Signature=0")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("Action=CreateRole&Version=2010-05-08"
                        + "&RoleName=rie-workers&AssumeRolePolicyDocument=" + trust)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        Matcher arn = Pattern.compile("<Arn>([^<]+)</Arn>").matcher(created.body());
        if (!arn.find()) {
            throw new IllegalStateException("moto IAM CreateRole: " + created.body());
        }
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(zip)) {
            z.putNextEntry(new java.util.zip.ZipEntry("placeholder.txt"));
            z.write("the code runs under the emulator".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            z.closeEntry();
        }
        try (var lambda = new dev.pgbackup.common.AwsClients(java.util.Optional.of(moto), true).lambda()) {
            for (String name : names) {
                lambda.createFunction(b -> b.functionName(name).runtime("java21").role(arn.group(1))
                        .handler("placeholder::handleRequest")
                        .code(c -> c.zipFile(software.amazon.awssdk.core.SdkBytes.fromByteArray(zip.toByteArray()))));
            }
        }
    }

    /** The project's version, from the POM the build ran with (the shaded jars carry it in their names). */
    static String projectVersion() {
        return System.getProperty("project.version", "1.0.0-SNAPSHOT");
    }

    /**
     * The shaded jar that mvn package builds and the function's Makefile hands to sam build: the API functions of the
     * backup and restore modules get the one without the workers' encryption SDK.
     */
    static Path functionJar(String codeUri, String function) {
        String module = Path.of(codeUri).getFileName().toString();
        boolean api = function.equals("BackupApiFunction") || function.equals("RestoreApiFunction");
        return RepoPaths.root().resolve(codeUri).resolve("target/" + module + "-" + projectVersion()
                + (api ? "-api.jar" : "-lambda.jar"));
    }

    static List<Path> eventFiles() throws IOException {
        try (Stream<Path> files = Files.list(RepoPaths.root().resolve("events"))) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    private static JsonNode invoke(String function, String event) throws Exception {
        LambdaRuntimeEmulator rie = functions.get(function);
        String result = rie.invoke(event);
        JsonNode node = JSON.readTree(result);
        assertFalse(node.has("errorType"), () -> function + " failed under the runtime: " + result);
        return node;
    }

    /** An API function's answer: status code and parsed body. */
    private record Answer(int status, JsonNode body) {
    }

    private static Answer api(String function, String event) throws Exception {
        JsonNode response = invoke(function, event);
        Answer answer = new Answer(response.get("statusCode").asInt(), JSON.readTree(response.get("body").asText()));
        assertTrue(answer.body().has("success"), () -> "every answer has 'success': " + answer);
        return answer;
    }

    private static String functionFor(JsonNode event) {
        if (event.has("routeKey")) {
            String fn = FUNCTION_OF_ROUTE.get(event.get("routeKey").asText());
            if (fn == null) {
                throw new AssertionError("no function in this test for route " + event.get("routeKey"));
            }
            return fn;
        }
        if ("aws.events".equals(event.path("source").asText())) {
            // the drill's schedule says which task it is; the backup schedule's detail is empty; the refresh's
            // schedule also goes to the backup worker (it takes the safety backup)
            return "restore-drill".equals(event.path("detail").path("task").asText()) ? "RestoreDrillFunction"
                    : "BackupWorkerFunction";
        }
        throw new AssertionError("unknown kind of event: " + event);
    }

    @Test
    void everyEventFileRunsUnderTheLambdaRuntime() throws Exception {
        List<Path> files = eventFiles();
        assertTrue(files.size() >= 5, "events/: " + files);
        String token = stack.token("rie-test", "WEB_ACCESS");
        Map<String, List<String>> seen = new LinkedHashMap<>();

        // 1. each file exactly as committed: the API functions refuse its placeholder token (401); the
        //    scheduled event makes a real backup; the restore drill event runs once that backup exists
        String scheduledBackup = null;
        String drillEvent = null;
        for (Path file : files) {
            String event = Files.readString(file);
            String function = functionFor(JSON.readTree(event));
            seen.computeIfAbsent(function, k -> new ArrayList<>()).add(file.getFileName().toString());
            if (function.equals("RestoreDrillFunction")) {
                drillEvent = event;
            } else if ("refresh".equals(JSON.readTree(event).path("detail").path("task").asText())) {
                // routed as a refresh, not taken for a scheduled backup: a RESTORE job, refused before anything ran
                JsonNode result = invoke(function, event);
                assertEquals("FAILED", result.get("status").asText(), result::toString);
                assertEquals("Refresh failed: there is no complete backup of 'production' to restore; nothing was "
                        + "changed", result.get("message").asText());
            } else if (function.equals("BackupWorkerFunction")) {
                JsonNode result = invoke(function, event);
                assertEquals("SUCCEEDED", result.get("status").asText(), result::toString);
                scheduledBackup = result.get("filename").asText();
                assertTrue(scheduledBackup.startsWith("pharmatracker-staging-on-"), scheduledBackup);
            } else {
                Answer answer = api(function, event);
                assertEquals(401, answer.status(), () -> file + ": " + answer);
                assertEquals("Invalid or expired token", answer.body().get("message").asText());
            }
        }
        assertTrue(scheduledBackup != null, "events/ holds a scheduled backup event");
        String snapshotBefore = pg.snapshot(DB).toString();

        // the restore drill: the scheduled backup (with the row counts the backup worker recorded) restored into a
        // scratch database, checked against them, dropped; the environment's database untouched
        assertTrue(drillEvent != null, "events/ holds a restore drill event");
        JsonNode drill = invoke("RestoreDrillFunction", drillEvent);
        assertEquals("SUCCEEDED", drill.get("status").asText(), drill::toString);
        assertEquals(scheduledBackup, drill.get("filename").asText());
        assertTrue(drill.get("message").asText().matches("Restore drill passed: restored " + scheduledBackup
                + " into a scratch database on the environment's server: 2 tables, row counts equal, [0-9.]+ s; "
                + "dropped"), drill::toString);
        assertEquals(List.of(), pg.databases(DB + "_drill_"));
        assertEquals(snapshotBefore, pg.snapshot(DB).toString());

        // 2. with a valid token
        // list: every environment's backups, newest first
        Answer list = api("ListBackupsFunction", event("list-backups.json", Map.of(TOKEN_PLACEHOLDER, token)));
        assertEquals(200, list.status(), list::toString);
        assertEquals(scheduledBackup, list.body().get("backups").get(0).get("filename").asText());
        assertEquals(list.body().get("backups").size(), list.body().get("count").asInt());
        // the retention dry run: the scheduled backup is kept, as one of the newest (the stack's default rule)
        Answer retention = api("RetentionPreviewFunction", event("retention-preview.json", Map.of(TOKEN_PLACEHOLDER, token)));
        assertEquals(200, retention.status(), retention::toString);
        assertEquals(scheduledBackup, retention.body().get("keep").get(0).get("filename").asText());
        assertEquals("scheduled: one of the newest 30", retention.body().get("keep").get(0).get("reasons").get(0).asText());
        assertEquals(0, retention.body().get("delete").size());

        // backup API: the job is handed to the worker (async invoke) -> 202; the worker runs it; the job
        // status endpoint reports it
        Answer started = api("BackupApiFunction", event("backup.json", Map.of(TOKEN_PLACEHOLDER, token)));
        assertEquals(202, started.status(), started::toString);
        assertEquals("RUNNING", started.body().get("status").asText());
        String jobId = started.body().get("jobId").asText();
        assertEquals("/api/setting/jobs/" + jobId, started.body().get("statusUrl").asText());
        JsonNode worker = invoke("BackupWorkerFunction", payload(jobId, started.body().get("filename").asText(),
                "on-demand"));
        assertEquals("SUCCEEDED", worker.get("status").asText(), worker::toString);
        String jobStatusEvent = event("job-status.json", Map.of(TOKEN_PLACEHOLDER, token,
                "3f8e2a4c-9b1d-4e6f-8a2b-7c5d0e9f1a3b", jobId));
        Answer status = api("JobStatusFunction", jobStatusEvent);
        assertEquals(200, status.status(), status::toString);
        assertEquals("SUCCEEDED", status.body().get("status").asText());
        assertEquals("Database backup created successfully: " + started.body().get("filename").asText(),
                status.body().get("message").asText());
        // the file's own job id is unknown
        Answer unknownJob = api("JobStatusFunction", event("job-status.json", Map.of(TOKEN_PLACEHOLDER, token)));
        assertEquals(404, unknownJob.status(), unknownJob::toString);

        // restore: the placeholder passkey is wrong; the file's backup name does not exist in this bucket
        Answer wrongPasskey = api("RestoreApiFunction", event("restore.json", Map.of(TOKEN_PLACEHOLDER, token)));
        assertEquals(403, wrongPasskey.status(), wrongPasskey::toString);
        assertEquals("Invalid restore passkey", wrongPasskey.body().get("message").asText());
        String restoreEvent = event("restore.json", Map.of(TOKEN_PLACEHOLDER, token, PASSKEY_PLACEHOLDER, TestStack.PASSKEY));
        String missing = JSON.readTree(JSON.readTree(restoreEvent).get("body").asText()).get("filename").asText();
        Answer notFound = api("RestoreApiFunction", restoreEvent);
        assertEquals(404, notFound.status(), notFound::toString);
        assertEquals("Backup file not found: " + missing, notFound.body().get("message").asText());

        // restore of the scheduled backup: 202, the restore worker (swap mode) runs it, the data is back
        pg.execute(DB, "set role app_owner; delete from orders where id % 2 = 0");
        Answer restoring = api("RestoreApiFunction", restoreEvent.replace(missing, scheduledBackup));
        assertEquals(202, restoring.status(), restoring::toString);
        JsonNode restored = invoke("RestoreWorkerFunction", payload(restoring.body().get("jobId").asText(),
                scheduledBackup, "SWAP"));
        assertEquals("SUCCEEDED", restored.get("status").asText(), restored::toString);
        assertEquals("Database restored successfully from backup: " + scheduledBackup, restored.get("message").asText());
        assertEquals(snapshotBefore, pg.snapshot(DB).toString(), "the database equals the backed-up one");

        assertEquals(Map.of(
                "BackupApiFunction", List.of("backup.json"),
                "BackupWorkerFunction", List.of("scheduled-backup.json", "scheduled-refresh.json"),
                "JobStatusFunction", List.of("job-status.json"),
                "ListBackupsFunction", List.of("list-backups.json"),
                "RetentionPreviewFunction", List.of("retention-preview.json"),
                "RestoreApiFunction", List.of("restore.json"),
                "RestoreDrillFunction", List.of("restore-drill.json")), seen, "events/ and the functions they exercise");
        String logs = functions.get("RestoreApiFunction").log() + functions.get("RestoreWorkerFunction").log()
                + functions.get("RestoreDrillFunction").log();
        assertFalse(logs.contains(TestStack.PASSKEY), "the passkey never reaches a log");
        assertTrue(functions.get("BackupWorkerFunction").log().contains("\"eventId\":\""), "the backups were announced");
        assertTrue(functions.get("RestoreWorkerFunction").log().contains("\"eventId\":\""), "the restore was announced");
        assertFalse(logs.contains(TestPostgres.APP_PASSWORD), "the database password never reaches a log");
    }

    /** What the API function's asynchronous invoke handed Lambda for the worker (as Lambda would deliver it). */
    private static String payload(String jobId, String filename, String how) {
        return dev.pgbackup.common.Json.write(new dev.pgbackup.common.jobs.WorkerPayload(jobId, "staging", filename, how)
                .toMap());
    }

    private static String event(String file, Map<String, String> replacements) throws IOException {
        String text = Files.readString(RepoPaths.root().resolve("events").resolve(file));
        for (var r : replacements.entrySet()) {
            assertTrue(text.contains(r.getKey()), file + " contains " + r.getKey());
            text = text.replace(r.getKey(), r.getValue());
        }
        return text;
    }
}
