package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Json;
import dev.pgbackup.list.JobStatusHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** POST /api/setting/backup through the real handler, worker and job status endpoint. */
class BackupApiIT {
    static final String DB = "api_source";
    static TestPostgres pg;

    @BeforeAll
    static void seed() {
        pg = TestPostgres.get();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            SeedData.seed(pg, DB, 300, "api");
        }
    }

    static TestStack stack(Map<String, String> overrides) {
        String bucket = "api-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        TestStack stack = TestStack.create("production", bucket, DB, overrides);
        BackupWorkerHandler worker = stack.handler(BackupWorkerHandler.class);
        stack.worker(stack.env.get("BACKUP_WORKER_FUNCTION"),
                (payload, context) -> worker.handleRequest(payloadMap(payload), context));
        return stack;
    }

    static Map<String, Object> payloadMap(String json) {
        try {
            return Json.MAPPER.readValue(json,
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {});
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static APIGatewayV2HTTPResponse post(TestStack stack, Map<String, String> headers, String body) {
        APIGatewayV2HTTPResponse response = stack.handler(BackupApiHandler.class).handleRequest(
                ApiEvents.request("POST", "/api/setting/backup", headers, body),
                new TestContext(Duration.ofSeconds(30)));
        if (response.getStatusCode() == 200 || response.getStatusCode() >= 500) {
            stack.awaitWorkers(); // the job has ended; its worker may still be writing its audit line
        }
        return response;
    }

    static JsonNode json(APIGatewayV2HTTPResponse response) throws Exception {
        assertEquals("application/json", response.getHeaders().get("Content-Type"));
        return Json.MAPPER.readTree(response.getBody());
    }

    @Test
    void smallDatabaseAnswersSynchronouslyWithTheSeedBody() throws Exception {
        TestStack stack = stack(Map.of());
        String token = stack.token("alice@example.com", "WEB_ACCESS");

        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(token), null);

        assertEquals(200, response.getStatusCode(), response.getBody());
        JsonNode body = json(response);
        String filename = body.get("filename").asText();
        assertTrue(body.get("success").asBoolean());
        assertEquals("Database backup created successfully: " + filename, body.get("message").asText());
        assertEquals(3, body.size(), "exactly success, message, filename: " + body);
        assertTrue(
                filename.matches(
                        "pharmatracker-production-on-\\d{4}-\\d{2}-\\d{2}-at-\\d{2}-\\d{2}-\\d{2}-(AM|PM)-IST\\.dump"),
                filename);
        assertTrue(stack.s3.headObject(b -> b.bucket(stack.bucket).key(filename)).contentLength() > 0);
        String audit = stack.audit();
        assertTrue(audit.contains("\"subject\":\"alice@example.com\""), audit);
        assertFalse(audit.contains(token), "token never logged");
        assertFalse(audit.contains(TestStack.jwtSecret("production")));
        assertFalse(audit.contains(TestPostgres.APP_PASSWORD));
    }

    /** The real backup worker behind a gate: each invocation waits until the test counts {@code release} down. */
    private static void gatedWorker(TestStack stack, CountDownLatch release) {
        BackupWorkerHandler worker = stack.handler(BackupWorkerHandler.class);
        stack.worker(stack.env.get("BACKUP_WORKER_FUNCTION"), (payload, context) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            worker.handleRequest(payloadMap(payload), context);
        });
    }

    @Test
    void slowWorkerGets202AndTheJobCanBeFollowedToCompletion() throws Exception {
        TestStack stack = stack(Map.of("WAIT_BUDGET_SECONDS", "1"));
        CountDownLatch release = new CountDownLatch(1);
        gatedWorker(stack, release);
        String token = stack.token("bob", "WEB_ACCESS");

        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(token), "{}");

        assertEquals(202, response.getStatusCode(), response.getBody());
        JsonNode body = json(response);
        assertTrue(body.get("success").asBoolean());
        assertEquals("RUNNING", body.get("status").asText());
        String jobId = body.get("jobId").asText();
        assertEquals("/api/setting/jobs/" + jobId, body.get("statusUrl").asText());
        String filename = body.get("filename").asText();

        JobStatusHandler status = stack.handler(JobStatusHandler.class);
        JsonNode running = json(status.handleRequest(jobEvent(jobId, token), new TestContext(Duration.ofSeconds(30))));
        assertEquals("RUNNING", running.get("status").asText());
        assertEquals(filename, running.get("filename").asText());

        release.countDown();
        JsonNode done = Waits.until(Duration.ofMinutes(2), "job to finish", () -> {
            try {
                JsonNode j = json(
                        status.handleRequest(jobEvent(jobId, token), new TestContext(Duration.ofSeconds(30))));
                return "RUNNING".equals(j.get("status").asText()) ? null : j;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals("SUCCEEDED", done.get("status").asText(), done.toString());
        assertEquals("Database backup created successfully: " + filename, done.get("message").asText());
        assertTrue(done.get("bytes").asLong() > 0);
        assertTrue(done.has("durationMs"));
        long size = stack.s3.headObject(b -> b.bucket(stack.bucket).key(filename)).contentLength();
        assertEquals(size, done.get("bytes").asLong());
        assertFalse(done.has("diagnostic"), "operator detail stays in the record: " + done);
    }

    @Test
    void whileABackupRunsASecondRequestGets409WithTheRunningJob() throws Exception {
        TestStack stack = stack(Map.of("WAIT_BUDGET_SECONDS", "1"));
        CountDownLatch release = new CountDownLatch(1);
        gatedWorker(stack, release);
        String token = stack.token("bob", "WEB_ACCESS");
        APIGatewayV2HTTPResponse first = post(stack, TestStack.bearer(token), null);
        assertEquals(202, first.getStatusCode(), first.getBody());
        String jobId = json(first).get("jobId").asText();

        // a second (and a tenth) request while it runs: 409 naming the running job, nothing else started
        for (int i = 0; i < 3; i++) {
            APIGatewayV2HTTPResponse again = post(stack, TestStack.bearer(token), null);
            assertEquals(409, again.getStatusCode(), again.getBody());
            assertEquals("A backup of 'production' is already running (job " + jobId + "); follow it at "
                    + "/api/setting/jobs/" + jobId, json(again).get("message").asText());
        }
        release.countDown();
        stack.awaitWorkers();
        assertEquals(1, stack.s3.listObjectsV2(b -> b.bucket(stack.bucket).prefix("pharmatracker-")).contents().size());
        // the lock is free again
        Waits.until(Duration.ofSeconds(30), "the lock to be released",
                () -> stack.wiring.backupLock().holder().isEmpty());
    }

    static com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent jobEvent(String jobId, String token) {
        var event = ApiEvents.request("GET", "/api/setting/jobs/" + jobId, TestStack.bearer(token), null);
        event.setPathParameters(Map.of("jobId", jobId));
        return event;
    }

    @Test
    void aSecondBackupInTheSameSecondIsAConflictNotAnOverwrite() throws Exception {
        String bucket = "api-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        TestStack stack = TestStack.create("production", bucket, DB, Map.of(),
                java.time.Clock.fixed(Instant.now(), java.time.ZoneOffset.UTC));
        BackupWorkerHandler worker = stack.handler(BackupWorkerHandler.class);
        stack.worker(stack.env.get("BACKUP_WORKER_FUNCTION"),
                (payload, context) -> worker.handleRequest(payloadMap(payload), context));
        String token = stack.token("gina", "WEB_ACCESS");

        APIGatewayV2HTTPResponse first = post(stack, TestStack.bearer(token), null);
        APIGatewayV2HTTPResponse second = post(stack, TestStack.bearer(token), null);

        assertEquals(200, first.getStatusCode(), first.getBody());
        assertEquals(409, second.getStatusCode(), second.getBody());
        String filename = json(first).get("filename").asText();
        assertTrue(json(second).get("message").asText().contains(filename + " already exists"));
    }

    @Test
    void unknownJobIs404() throws Exception {
        TestStack stack = stack(Map.of());
        String token = stack.token("bob", "WEB_ACCESS");
        for (String id : new String[] {UUID.randomUUID().toString(), "..%2F..%2Fetc", "not-a-job"}) {
            var r = stack.handler(JobStatusHandler.class).handleRequest(jobEvent(id, token),
                    new TestContext(Duration.ofSeconds(5)));
            assertEquals(404, r.getStatusCode());
            assertEquals("Job not found", json(r).get("message").asText());
        }
    }

    @Test
    void missingBucketGivesTheKnownMessage() throws Exception {
        TestStack stack = TestStack.create("production", "missing-" + UUID.randomUUID().toString().substring(0, 8), DB,
                Map.of());

        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(stack.token("erin", "WEB_ACCESS")), null);

        assertEquals(500, response.getStatusCode());
        assertEquals("S3 bucket '" + stack.bucket + "' does not exist or is not accessible",
                json(response).get("message").asText());
    }

    @Test
    void workerFailureIsReportedWithItsMessage() throws Exception {
        TestStack stack = stack(Map.of("PG_TOOLS_DIR", dev.pgbackup.testsupport.FakeTools.empty().toString()));

        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(stack.token("frank", "WEB_ACCESS")), null);

        assertEquals(500, response.getStatusCode());
        assertEquals("pg_dump command not found. Ensure PostgreSQL client tools are installed on the server.",
                json(response).get("message").asText());
        assertTrue(json(response).get("jobId").asText().length() == 36, "the caller can look the job up");
    }
}
