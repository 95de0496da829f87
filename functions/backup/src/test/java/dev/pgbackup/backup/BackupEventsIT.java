package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.EventInbox;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backup worker's notices against moto's EventBridge and SNS (read back through an event rule and a topic
 * subscription into SQS), with a real PostgreSQL and pg_dump: one event per job with the documented detail, one
 * message per failure, and a bus or topic that refuses never changes what the job did.
 */
class BackupEventsIT {
    static final String WRONG_PASSWORD = "Wr0ng-Passw0rd-For-Events";

    @BeforeAll
    static void seed() {
        BackupWorkerFixture.seed();
    }

    static TestStack stack(Map<String, String> env) {
        return TestStack.create("production", BackupWorkerFixture.newBucket(), BackupWorkerFixture.SOURCE_DB, env);
    }

    /** The documented detail of a job's event, from its final record. */
    static JsonNode detail(JobRecord job) throws Exception {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("app", "pharmatracker");
        d.put("environment", job.environment());
        d.put("jobId", job.jobId());
        d.put("filename", job.filename());
        d.put("trigger", job.trigger());
        d.put("status", job.status().name());
        d.put("message", job.message());
        d.put("bytes", job.bytes());
        d.put("durationMs", job.durationMs());
        d.put("finishedAt", job.finishedAt().toString());
        return Json.MAPPER.readTree(Json.write(d));
    }

    static void assertEvent(JsonNode event, String detailType, JobRecord job) throws Exception {
        assertEquals("pgbackup", event.get("source").asText());
        assertEquals(detailType, event.get("detail-type").asText());
        assertEquals(detail(job), event.get("detail"));
    }

    static JobRecord job(TestStack stack, Map<String, Object> result) {
        return BackupWorkerFixture.job(stack, result);
    }

    @Test
    void everyBackupIsOneEventWithTheDocumentedDetailAndSuccessSendsNoMessage() throws Exception {
        EventInbox inbox = EventInbox.create();
        TestStack stack = stack(inbox.env());

        Map<String, Object> nightly = BackupWorkerFixture.runScheduled(stack);

        assertEquals("SUCCEEDED", nightly.get("status"), String.valueOf(nightly.get("message")));
        JobRecord job = job(stack, nightly);
        List<JsonNode> events = inbox.events();
        assertEquals(1, events.size(), events.toString());
        assertEvent(events.get(0), "Backup Succeeded", job);
        assertEquals("schedule", events.get(0).get("detail").get("trigger").asText());
        assertTrue(job.bytes() > 100_000, "the dump's size: " + job.bytes());
        assertTrue(stack.audit().contains("\"eventId\":\"" + events.get(0).get("id").asText() + "\""), stack.audit());
        assertEquals(List.of(), inbox.messages(), "a success is no message on the topic");

        String name = BackupFiles.name("production", Instant.now().plusSeconds(2));
        Map<String, Object> requested = stack.handler(BackupWorkerHandler.class).handleRequest(
                BackupWorkerFixture.apiJob(stack, name), new TestContext(Duration.ofMinutes(15)));
        assertEquals("SUCCEEDED", requested.get("status"));
        List<JsonNode> more = inbox.events();
        assertEquals(1, more.size(), more.toString());
        assertEvent(more.get(0), "Backup Succeeded", job(stack, requested));
        assertEquals("api", more.get(0).get("detail").get("trigger").asText());
    }

    @Test
    void aFailedBackupIsAnEventAndOneMessageWithoutTheDiagnosticOrAnySecret() throws Exception {
        EventInbox inbox = EventInbox.create();
        TestStack stack = stack(inbox.env());
        stack.putParameters(TestPostgres.get().url(BackupWorkerFixture.SOURCE_DB).replace(TestPostgres.APP_PASSWORD,
                WRONG_PASSWORD));

        Map<String, Object> result = BackupWorkerFixture.runScheduled(stack);

        assertEquals("FAILED", result.get("status"));
        JobRecord job = job(stack, result);
        assertTrue(job.message().startsWith("Backup failed: the database refused the credentials"),
                job.message());
        List<JsonNode> events = inbox.events();
        assertEquals(1, events.size(), events.toString());
        assertEvent(events.get(0), "Backup Failed", job);
        List<JsonNode> messages = inbox.messages();
        assertEquals(1, messages.size(), messages.toString());
        assertEquals("Backup Failed: pharmatracker production", messages.get(0).get("Subject").asText());
        assertEquals("Backup Failed: pharmatracker production\n\n"
                + "Job:      " + job.jobId() + " (schedule)\n"
                + "File:     " + job.filename() + "\n"
                + "Finished: " + job.finishedAt() + " after " + job.durationMs() + " ms\n"
                + "Message:  " + job.message() + "\n\n"
                + "Details: GET /api/setting/jobs/" + job.jobId()
                + " on the production API, and the worker's audit line "
                + "(CloudWatch Logs Insights: filter audit and jobId = \"" + job.jobId() + "\").\n",
                messages.get(0).get("Message").asText());
        assertTrue(stack.audit().contains("\"notificationId\":\"" + messages.get(0).get("MessageId").asText() + "\""));
        String sent = events + "" + messages;
        assertNotNull(job.diagnostic(), "the job record keeps the detail");
        assertFalse(sent.contains(job.diagnostic()), "the diagnostic stays in the record and the log");
        for (String secret : List.of(WRONG_PASSWORD, TestPostgres.APP_PASSWORD, TestStack.jwtSecret("production"))) {
            assertFalse(sent.contains(secret), "a secret in a notice: " + secret.substring(0, 4) + "...");
        }
    }

    @Test
    void aRefusedBackupJobIsAFailedBackupToo() throws Exception {
        EventInbox inbox = EventInbox.create();
        TestStack stack = stack(inbox.env());
        Map<String, Object> payload = new HashMap<>(BackupWorkerFixture.apiJob(stack,
                BackupFiles.name("production", Instant.now())));
        payload.put("filename", BackupFiles.name("production", Instant.now().minusSeconds(3600)));

        Map<String, Object> result = stack.handler(BackupWorkerHandler.class).handleRequest(payload,
                new TestContext(Duration.ofMinutes(15)));

        assertEquals("FAILED", result.get("status"));
        JobRecord job = job(stack, result);
        assertEquals("Backup refused: the job record and the invoke payload disagree (file or class); nothing was "
                + "written", job.message());
        List<JsonNode> events = inbox.events();
        assertEquals(1, events.size(), events.toString());
        assertEvent(events.get(0), "Backup Failed", job);
        assertEquals(1, inbox.messages().size());
        assertTrue(stack.audit().contains("\"result\":\"REFUSED\""), stack.audit());
    }

    @Test
    void aBusThatDoesNotExistNeverChangesTheOutcome() {
        EventInbox inbox = EventInbox.create();
        TestStack stack = stack(Map.of("EVENT_BUS_NAME", "no-such-bus-" + UUID.randomUUID().toString().substring(0, 8),
                "NOTIFICATION_TOPIC_ARN", inbox.topicArn));

        Map<String, Object> result = BackupWorkerFixture.runScheduled(stack);

        assertEquals("SUCCEEDED", result.get("status"), String.valueOf(result.get("message")));
        JobRecord job = job(stack, result);
        assertEquals(JobRecord.Status.SUCCEEDED, job.status());
        assertEquals("Database backup created successfully: " + job.filename(), job.message());
        assertTrue(BackupWorkerFixture.backupKeys(stack.s3, stack.bucket).contains(job.filename()));
        assertTrue(stack.audit().contains("\"eventsError\":\"ResourceNotFoundException\""), stack.audit());
        assertFalse(stack.audit().contains("\"eventId\""), stack.audit());
        assertTrue(stack.audit().contains("\"result\":\"SUCCEEDED\""));
    }

    @Test
    void aBusThatRefusesOrFailsIsTriedAtMostTwiceAndNeverChangesTheOutcome() {
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            EventInbox inbox = EventInbox.create();
            TestStack stack = TestStack.create("production", BackupWorkerFixture.newBucket(),
                    BackupWorkerFixture.SOURCE_DB,
                    inbox.env(), Clock.systemUTC(), proxy.endpoint());
            FaultProxy.Rule denied = proxy.when(FaultProxy.ssm("PutEvents")).respondSsmError(400,
                    "AccessDeniedException", "User is not authorized to perform: events:PutEvents");

            Map<String, Object> first = BackupWorkerFixture.runScheduled(stack);

            assertEquals("SUCCEEDED", first.get("status"), String.valueOf(first.get("message")));
            assertEquals(JobRecord.Status.SUCCEEDED, job(stack, first).status());
            assertEquals(1, denied.injected(), "a refusal is not retried");
            assertTrue(stack.audit().contains("\"eventsError\":\"AccessDeniedException\""), stack.audit());
            assertEquals(List.of(), inbox.events());

            proxy.clearRules();
            FaultProxy.Rule broken = proxy.when(FaultProxy.ssm("PutEvents")).respondSsmError(500, "InternalException",
                    "injected");
            // SNS speaks the query protocol: a POST to the endpoint's root (S3 requests name their bucket)
            FaultProxy.Rule lost = proxy.when(r -> r.ssmTarget() == null && "POST".equals(r.method())
                    && "/".equals(r.path())).dropConnection();
            TestStack failing = TestStack.create("production", stack.bucket, BackupWorkerFixture.SOURCE_DB, inbox.env(),
                    Clock.systemUTC(), proxy.endpoint());
            failing.putParameters(
                    TestPostgres.get().url(BackupWorkerFixture.SOURCE_DB).replace(TestPostgres.APP_PASSWORD,
                            WRONG_PASSWORD));

            Map<String, Object> second = BackupWorkerFixture.runScheduled(failing);

            assertEquals("FAILED", second.get("status"));
            JobRecord job = job(failing, second);
            assertTrue(job.message().startsWith("Backup failed: the database refused the credentials"),
                    job.message());
            assertEquals(2, broken.injected(), "one retry, no more");
            assertEquals(2, lost.injected(), "one retry, no more");
            assertTrue(failing.audit().contains("\"eventsError\":\"InternalException\""), failing.audit());
            assertTrue(failing.audit().contains("\"notificationError\":\"SdkClientException\""), failing.audit());
            assertTrue(failing.audit().contains("\"result\":\"FAILED\""));
            assertEquals(List.of(), inbox.events());
            assertEquals(List.of(), inbox.messages());
        }
    }

    @Test
    void anEventTheBusAnswersButRefusesIsAnErrorToo() {
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            EventInbox inbox = EventInbox.create();
            TestStack stack = TestStack.create("production", BackupWorkerFixture.newBucket(),
                    BackupWorkerFixture.SOURCE_DB,
                    inbox.env(), Clock.systemUTC(), proxy.endpoint());
            FaultProxy.Rule partly = proxy.when(FaultProxy.ssm("PutEvents")).respond(200, "application/x-amz-json-1.1",
                    "{\"FailedEntryCount\":1,\"Entries\":[{\"ErrorCode\":\"InternalFailure\",\"ErrorMessage\":\"injected\"}]}");

            Map<String, Object> result = BackupWorkerFixture.runScheduled(stack);

            assertEquals("SUCCEEDED", result.get("status"), String.valueOf(result.get("message")));
            assertEquals(1, partly.injected());
            assertTrue(stack.audit().contains("\"eventsError\":\"InternalFailure\""), stack.audit());
            assertFalse(stack.audit().contains("\"eventId\""), stack.audit());
        }
    }

    @Test
    void aTopicThatRefusesNeverChangesAFailure() {
        EventInbox inbox = EventInbox.create();
        TestStack stack = stack(Map.of("EVENT_BUS_NAME", inbox.bus,
                "NOTIFICATION_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:no-such-topic"));
        stack.putParameters(TestPostgres.get().url(BackupWorkerFixture.SOURCE_DB).replace(TestPostgres.APP_PASSWORD,
                WRONG_PASSWORD));

        Map<String, Object> result = BackupWorkerFixture.runScheduled(stack);

        assertEquals("FAILED", result.get("status"));
        JobRecord job = job(stack, result);
        assertTrue(job.message().startsWith("Backup failed: the database refused the credentials"),
                job.message());
        assertTrue(stack.audit().contains("\"notificationError\":\"NotFound\""), stack.audit());
        assertEquals(1, inbox.events().size(), "the event went out all the same");
    }
}
