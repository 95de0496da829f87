package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.restore.api.RestoreApiFixture;
import dev.pgbackup.testsupport.MetricLines;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The metric lines restores write, run through their worker in memory (no archives move and no database answers:
 * the jobs fail once started). A succeeded restore's numbers are JobMetricsTest's; a drill's are DrillMetricsTest's.
 */
class RestoreMetricsTest {
    static final List<List<String>> SETS = List.of(List.of("App", "Environment"),
            List.of("App", "Environment", "Trigger"));

    @Test
    @SuppressWarnings("unchecked")
    void aRestoreThatFailsWritesOneFailureWithItsDuration() {
        RestoreApiFixture.Stack s = new RestoreApiFixture.Stack();
        s.unit.onLaunch = (fn, payload) -> {
            s.unit.clock.set(UnitStack.T0.plusSeconds(7));
            new RestoreWorkerHandler(s.unit.wiring).handleRequest(
                    (Map<String, Object>) RestoreApiFixture.parse(payload),
                    new TestContext(Duration.ofMinutes(15)));
        };

        APIGatewayV2HTTPResponse r = s.restore(s.productionBackup, TestStack.PASSKEY);

        assertEquals(202, r.getStatusCode(), r.getBody());
        JsonNode line = MetricLines.declaring(s.unit.audit(), "RestoreFailed");
        assertEquals(1, MetricLines.in(s.unit.audit()).size(), "one line for the job");
        assertEquals(UnitStack.T0.plusSeconds(7).toEpochMilli(), line.at("/_aws/Timestamp").asLong());
        assertEquals("PgBackup", line.at("/_aws/CloudWatchMetrics/0/Namespace").asText());
        assertEquals(SETS, MetricLines.dimensions(line));
        assertEquals(Map.of("RestoreFailed", "Count", "RestoreDurationSeconds", "Seconds"), MetricLines.declared(line));
        assertEquals("staging", line.get("Environment").asText());
        assertEquals("api", line.get("Trigger").asText());
        assertEquals(1, line.get("RestoreFailed").asInt());
        assertEquals(7.0, line.get("RestoreDurationSeconds").asDouble());
        assertEquals(RestoreApiFixture.json(r).get("jobId"), line.get("jobId").asText());
        assertFalse(line.has("RestoreBytes"));
    }
}
