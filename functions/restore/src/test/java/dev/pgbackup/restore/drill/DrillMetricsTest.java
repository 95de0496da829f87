package dev.pgbackup.restore.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.testsupport.MetricLines;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The metric line a drill writes, run through its handler in memory (no backup: the drill fails once started). */
class DrillMetricsTest {
    static final List<List<String>> SETS = List.of(List.of("App", "Environment"),
            List.of("App", "Environment", "Trigger"));

    @Test
    void aDrillWithNoBackupToRestoreWritesADrillFailure() {
        UnitStack unit = UnitStack.create("production");

        Map<String, Object> result = new RestoreDrillHandler(unit.wiring).handleRequest(Map.of(),
                new TestContext(Duration.ofMinutes(15)));

        assertEquals("FAILED", result.get("status"), String.valueOf(result));
        JsonNode line = MetricLines.declaring(unit.audit(), "DrillFailed");
        assertEquals(SETS, MetricLines.dimensions(line));
        assertEquals(Map.of("DrillFailed", "Count", "DrillDurationSeconds", "Seconds"), MetricLines.declared(line));
        assertEquals("invoke", line.get("Trigger").asText());
        assertEquals(UnitStack.T0.toEpochMilli(), line.at("/_aws/Timestamp").asLong());
    }
}
