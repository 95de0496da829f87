package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.EventInbox;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The restore worker's notices against moto's EventBridge and SNS, with a real PostgreSQL and pg_restore: one
 * event per restore with the documented detail, one message per failure, and a bus that refuses changes nothing.
 */
class RestoreEventsIT {
    @BeforeAll
    static void seed() {
        RestoreIT.seed();
    }

    static JsonNode detail(JobRecord job) throws Exception {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("app", "pharmatracker");
        d.put("environment", "staging");
        d.put("jobId", job.jobId());
        d.put("filename", job.filename());
        d.put("trigger", "api");
        d.put("status", job.status().name());
        d.put("message", job.message());
        d.put("bytes", job.bytes());
        d.put("durationMs", job.durationMs());
        d.put("finishedAt", job.finishedAt().toString());
        return Json.MAPPER.readTree(Json.write(d));
    }

    @Test
    void aRestoreIsOneSucceededEventAndNoMessage() throws Exception {
        EventInbox inbox = EventInbox.create();
        RestoreIT.Fixture f = new RestoreIT.Fixture(inbox.env());

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(RestoreIT.productionSnapshot, RestoreIT.pg.snapshot(f.target));
        JobRecord job = f.jobs().get(0);
        List<JsonNode> events = inbox.events();
        assertEquals(1, events.size(), events.toString());
        assertEquals("pgbackup", events.get(0).get("source").asText());
        assertEquals("Restore Succeeded", events.get(0).get("detail-type").asText());
        assertEquals(detail(job), events.get(0).get("detail"));
        assertEquals("Database restored successfully from backup: " + f.productionBackup,
                events.get(0).get("detail").get("message").asText());
        assertEquals(List.of(), inbox.messages());
        assertTrue(f.stack.audit().contains("\"eventId\":\"" + events.get(0).get("id").asText() + "\""));
        f.assertNoSecretsLeaked();
    }

    @Test
    void aFailedRestoreIsAnEventAndOneMessageAndTheDatabaseIsUnchanged() throws Exception {
        EventInbox inbox = EventInbox.create();
        RestoreIT.Fixture f = new RestoreIT.Fixture(inbox.env());
        String corrupt = BackupFiles.name("production", Instant.now().minus(Duration.ofHours(1)));
        BackupFiles.upload(f.stack.s3, f.stack.bucket, corrupt,
                "PGDMP but not really a dump".getBytes(StandardCharsets.UTF_8));
        f.takeSafetyBackup();

        APIGatewayV2HTTPResponse response = f.restore(corrupt);

        assertEquals(500, response.getStatusCode(), response.getBody());
        assertEquals(f.stagingSnapshot, RestoreIT.pg.snapshot(f.target), "the target is as it was");
        JobRecord job = f.jobs().get(0);
        assertEquals(JobRecord.Status.FAILED, job.status());
        List<JsonNode> events = inbox.events();
        assertEquals(1, events.size(), events.toString());
        assertEquals("Restore Failed", events.get(0).get("detail-type").asText());
        assertEquals(detail(job), events.get(0).get("detail"));
        List<JsonNode> messages = inbox.messages();
        assertEquals(1, messages.size(), messages.toString());
        assertEquals("Restore Failed: pharmatracker staging", messages.get(0).get("Subject").asText());
        String text = messages.get(0).get("Message").asText();
        assertTrue(text.contains("Message:  " + job.message() + "\n"), text);
        assertTrue(text.contains("File:     " + corrupt + "\n"), text);
        String sent = events + "" + messages;
        if (job.diagnostic() != null) {
            assertFalse(sent.contains(job.diagnostic()), "the diagnostic stays in the record and the log");
        }
        for (String secret : List.of(TestStack.PASSKEY, TestPostgres.APP_PASSWORD, TestStack.jwtSecret("staging"))) {
            assertFalse(sent.contains(secret), "a secret in a notice");
        }
        f.assertNoLeftovers();
    }

    @Test
    void aBusThatRefusesChangesNothingAboutTheRestore() {
        RestoreIT.Fixture f = new RestoreIT.Fixture(Map.of("EVENT_BUS_NAME", "no-such-bus-for-restores"));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(RestoreIT.productionSnapshot, RestoreIT.pg.snapshot(f.target));
        assertEquals(JobRecord.Status.SUCCEEDED, f.jobs().get(0).status());
        assertTrue(f.stack.audit().contains("\"eventsError\":\"ResourceNotFoundException\""), f.stack.audit());
        f.assertNoLeftovers();
    }
}
