package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.MetricLines;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The metric line a backup job writes, run through the worker in memory (no pg_dump: the job fails once started).
 * A succeeded backup's line is BackupWorkerIT's.
 */
class BackupMetricsTest {
    static final List<List<String>> SETS = List.of(List.of("App", "Environment"),
            List.of("App", "Environment", "Trigger"));

    @Test
    void anApiBackupThatFailsWritesOneFailureWithItsDurationAtItsEnd() throws Exception {
        UnitStack stack = UnitStack.create("production");
        stack.onLaunch = (fn, payload) -> {
            stack.clock.set(UnitStack.T0.plusSeconds(42)); // the worker starts (and fails) 42 s after the request
            new BackupWorkerHandler(stack.wiring).handleRequest(BackupApiRulesTest.event(payload),
                    new TestContext(Duration.ofMinutes(15)));
        };

        APIGatewayV2HTTPResponse response = BackupApiRulesTest.post(stack,
                TestStack.bearer(stack.token("alice", "WEB_ACCESS")), null);

        assertEquals(202, response.getStatusCode(), response.getBody());
        String jobId = BackupApiRulesTest.json(response).get("jobId").asText();
        assertEquals(JobRecord.Status.FAILED, stack.wiring.jobs.find(jobId).orElseThrow().status());
        JsonNode line = MetricLines.declaring(stack.audit(), "BackupFailed");
        assertEquals(1, MetricLines.in(stack.audit()).size(), "one line for the job");
        assertEquals(UnitStack.T0.plusSeconds(42).toEpochMilli(), line.at("/_aws/Timestamp").asLong());
        assertEquals("PgBackup", line.at("/_aws/CloudWatchMetrics/0/Namespace").asText());
        assertEquals(SETS, MetricLines.dimensions(line));
        assertEquals(Map.of("BackupFailed", "Count", "BackupDurationSeconds", "Seconds"), MetricLines.declared(line));
        assertEquals("pharmatracker", line.get("App").asText());
        assertEquals("production", line.get("Environment").asText());
        assertEquals("api", line.get("Trigger").asText());
        assertEquals(1, line.get("BackupFailed").asInt());
        assertEquals(42.0, line.get("BackupDurationSeconds").asDouble());
        assertEquals(jobId, line.get("jobId").asText());
        assertFalse(line.has("BackupBytes"), "a failed backup has no size");
    }

    @Test
    void aScheduledBackupSaysSoInItsTrigger() {
        UnitStack stack = UnitStack.create("production");

        Map<String, Object> result = new BackupWorkerHandler(stack.wiring).handleRequest(Map.of("source", "aws.events",
                "detail-type", "Scheduled Event", "id", "execution-1"), new TestContext(Duration.ofMinutes(15)));

        assertEquals("FAILED", result.get("status"));
        JsonNode line = MetricLines.declaring(stack.audit(), "BackupFailed");
        assertEquals("schedule", line.get("Trigger").asText());
        assertEquals(0.0, line.get("BackupDurationSeconds").asDouble(), "the test's clock did not move");
    }
}
