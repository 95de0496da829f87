package dev.pgbackup.local;

import static dev.pgbackup.local.RuntimeEmulatorFixture.DB;
import static dev.pgbackup.local.RuntimeEmulatorFixture.eventFiles;
import static dev.pgbackup.local.RuntimeEmulatorFixture.functions;
import static dev.pgbackup.local.RuntimeEmulatorFixture.pg;
import static dev.pgbackup.local.RuntimeEmulatorFixture.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every file in {@code events/} through the real Lambda runtime: the AWS Lambda Runtime Interface
 * Emulator with the Java Runtime Interface Client, running the packaged (shaded) function jars with the
 * handlers named in template.yaml, against moto (S3, SSM, and Lambda's asynchronous invoke API), a real
 * PostgreSQL and the layer's pg_dump/pg_restore. API calls whose job outlives the wait budget answer 202;
 * the test then plays Lambda's asynchronous queue and invokes the worker with the job id, as Lambda would. The
 * functions run under the emulator as {@link RuntimeEmulatorFixture} starts them.
 */
class RuntimeEmulatorIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN_PLACEHOLDER = "REPLACE_WITH_A_JWT_SIGNED_WITH_THE_STACK_JWT_SECRET";
    private static final String PASSKEY_PLACEHOLDER = "REPLACE_WITH_THE_RESTORE_PASSKEY";

    /** Which function of template.yaml an event file is for. */
    private static final Map<String, String> FUNCTION_OF_ROUTE = Map.of(
            "POST /api/setting/backup", "BackupApiFunction",
            "GET /api/setting/backups", "ListBackupsFunction",
            "GET /api/setting/jobs/{jobId}", "JobStatusFunction",
            "GET /api/setting/retention", "RetentionPreviewFunction",
            "POST /api/setting/restore", "RestoreApiFunction");

    @BeforeAll
    static void startFunctions() throws Exception {
        RuntimeEmulatorFixture.start();
    }

    @AfterAll
    static void stopFunctions() {
        RuntimeEmulatorFixture.stop();
    }

    private static JsonNode invoke(String function, String event) throws Exception {
        LambdaRuntimeEmulator rie = functions.get(function);
        String result = rie.invoke(event);
        JsonNode node = JSON.readTree(result);
        assertFalse(node.has("errorType"), () -> function + " failed under the runtime: " + result);
        return node;
    }

    /** An API function's answer: status code and parsed body. */
    private record Answer(int status, JsonNode body) {}

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

        AsCommitted committed = eachFileAsCommitted(files, seen);
        String scheduledBackup = committed.scheduledBackup();
        assertTrue(scheduledBackup != null, "events/ holds a scheduled backup event");
        String snapshotBefore = pg.snapshot(DB).toString();
        theDrillRestoresTheScheduledBackup(committed.drillEvent(), scheduledBackup, snapshotBefore);

        // 2. with a valid token
        listAndRetentionShowTheScheduledBackup(token, scheduledBackup);
        anOnDemandBackupRunsAndItsJobReportsIt(token);
        String restoreOfTheScheduledBackup = restoreRefusesAWrongPasskeyAndAMissingFile(token, scheduledBackup);
        theRestoreWorkerBringsTheDataBack(restoreOfTheScheduledBackup, scheduledBackup, snapshotBefore);
        everyFileRanAndNoSecretReachedALog(seen);
    }

    /** What the files as committed gave: the scheduled backup made, and the drill event to run once it exists. */
    private record AsCommitted(String scheduledBackup, String drillEvent) {}

    /** Each file exactly as committed, in turn. */
    private AsCommitted eachFileAsCommitted(List<Path> files, Map<String, List<String>> seen) throws Exception {
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
        return new AsCommitted(scheduledBackup, drillEvent);
    }

    /** The restore drill restores the scheduled backup beside the database and leaves the database as it was. */
    private void theDrillRestoresTheScheduledBackup(String drillEvent, String scheduledBackup, String snapshotBefore)
            throws Exception {
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
    }

    /** List and retention preview with a valid token. */
    private void listAndRetentionShowTheScheduledBackup(String token, String scheduledBackup) throws Exception {
        // list: every environment's backups, newest first
        Answer list = api("ListBackupsFunction", event("list-backups.json", Map.of(TOKEN_PLACEHOLDER, token)));
        assertEquals(200, list.status(), list::toString);
        assertEquals(scheduledBackup, list.body().get("backups").get(0).get("filename").asText());
        assertEquals(list.body().get("backups").size(), list.body().get("count").asInt());
        // the retention dry run: the scheduled backup is kept, as one of the newest (the stack's default rule)
        Answer retention = api("RetentionPreviewFunction",
                event("retention-preview.json", Map.of(TOKEN_PLACEHOLDER, token)));
        assertEquals(200, retention.status(), retention::toString);
        assertEquals(scheduledBackup, retention.body().get("keep").get(0).get("filename").asText());
        assertEquals("scheduled: one of the newest 30",
                retention.body().get("keep").get(0).get("reasons").get(0).asText());
        assertEquals(0, retention.body().get("delete").size());
    }

    /** The backup API hands the job to the worker, which runs it; the job status reports it. */
    private void anOnDemandBackupRunsAndItsJobReportsIt(String token) throws Exception {
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
    }

    /** Restores the files as committed ask for are refused; returns the restore event for the scheduled backup. */
    private String restoreRefusesAWrongPasskeyAndAMissingFile(String token, String scheduledBackup) throws Exception {
        // restore: the placeholder passkey is wrong; the file's backup name does not exist in this bucket
        Answer wrongPasskey = api("RestoreApiFunction", event("restore.json", Map.of(TOKEN_PLACEHOLDER, token)));
        assertEquals(403, wrongPasskey.status(), wrongPasskey::toString);
        assertEquals("Invalid restore passkey", wrongPasskey.body().get("message").asText());
        String restoreEvent = event("restore.json",
                Map.of(TOKEN_PLACEHOLDER, token, PASSKEY_PLACEHOLDER, TestStack.PASSKEY));
        String missing = JSON.readTree(JSON.readTree(restoreEvent).get("body").asText()).get("filename").asText();
        Answer notFound = api("RestoreApiFunction", restoreEvent);
        assertEquals(404, notFound.status(), notFound::toString);
        assertEquals("Backup file not found: " + missing, notFound.body().get("message").asText());
        return restoreEvent.replace(missing, scheduledBackup);
    }

    /** The restore worker (swap mode) brings the backed-up data back. */
    private void theRestoreWorkerBringsTheDataBack(String restoreOfTheScheduledBackup, String scheduledBackup,
            String snapshotBefore) throws Exception {
        // restore of the scheduled backup: 202, the restore worker (swap mode) runs it, the data is back
        pg.execute(DB, "set role app_owner; delete from orders where id % 2 = 0");
        Answer restoring = api("RestoreApiFunction", restoreOfTheScheduledBackup);
        assertEquals(202, restoring.status(), restoring::toString);
        JsonNode restored = invoke("RestoreWorkerFunction", payload(restoring.body().get("jobId").asText(),
                scheduledBackup, "SWAP"));
        assertEquals("SUCCEEDED", restored.get("status").asText(), restored::toString);
        assertEquals("Database restored successfully from backup: " + scheduledBackup,
                restored.get("message").asText());
        assertEquals(snapshotBefore, pg.snapshot(DB).toString(), "the database equals the backed-up one");
    }

    /** Every file ran against the function it is for; no passkey or password reached a log. */
    private void everyFileRanAndNoSecretReachedALog(Map<String, List<String>> seen) throws Exception {
        assertEquals(Map.of(
                "BackupApiFunction", List.of("backup.json"),
                "BackupWorkerFunction", List.of("scheduled-backup.json", "scheduled-refresh.json"),
                "JobStatusFunction", List.of("job-status.json"),
                "ListBackupsFunction", List.of("list-backups.json"),
                "RetentionPreviewFunction", List.of("retention-preview.json"),
                "RestoreApiFunction", List.of("restore.json"),
                "RestoreDrillFunction", List.of("restore-drill.json")), seen,
                "events/ and the functions they exercise");
        String logs = functions.get("RestoreApiFunction").log() + functions.get("RestoreWorkerFunction").log()
                + functions.get("RestoreDrillFunction").log();
        assertFalse(logs.contains(TestStack.PASSKEY), "the passkey never reaches a log");
        assertTrue(functions.get("BackupWorkerFunction").log().contains("\"eventId\":\""),
                "the backups were announced");
        assertTrue(functions.get("RestoreWorkerFunction").log().contains("\"eventId\":\""),
                "the restore was announced");
        assertFalse(logs.contains(TestPostgres.APP_PASSWORD), "the database password never reaches a log");
    }

    /** What the API function's asynchronous invoke handed Lambda for the worker (as Lambda would deliver it). */
    private static String payload(String jobId, String filename, String how) {
        return dev.pgbackup.common.Json
                .write(new dev.pgbackup.common.jobs.WorkerPayload(jobId, "staging", filename, how)
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
