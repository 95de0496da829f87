package dev.pgbackup.restore.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.Json;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The drill watch and the events the drill function tells apart, in memory (no database is reached). */
class DrillWatchTest {
    static final Map<String, Object> WATCH = Map.of("version", "0", "id", "watch-1", "source", "aws.events",
            "detail-type", "Scheduled Event", "detail", Map.of("task", "drill-watch"));

    static Map<String, Object> watch(UnitStack unit) {
        return new RestoreDrillHandler(unit.wiring).handleRequest(WATCH, null);
    }

    static void lastDrill(UnitStack unit, Instant at) {
        unit.objects.plant(unit.wiring.keys.lastDrill(),
                Json.write(new LastDrill("11111111-1111-1111-1111-111111111111",
                        "pharmatracker-staging-on-2026-11-22-at-08-30-00-AM-IST.dump", at, 12, 12)),
                at);
    }

    @Test
    void aDrillWithinTheLimitKeepsTheUpToDateMetricComing() {
        UnitStack unit = UnitStack.create("staging");
        lastDrill(unit, UnitStack.T0.minus(Duration.ofDays(7)));

        Map<String, Object> result = watch(unit);

        assertEquals("UP_TO_DATE", result.get("status"));
        assertEquals("2026-11-21T10:00:00Z", result.get("lastDrillSucceededAt"));
        assertTrue(unit.audit().contains("\"App\":\"pharmatracker\",\"Environment\":\"staging\",\"DrillUpToDate\":1"),
                unit.audit());
        assertTrue(unit.audit().contains("\"action\":\"restore.drill.watch\""), unit.audit());
    }

    @Test
    void aDrillOlderThanTheLimitOrNoDrillAtAllStopsTheMetric() {
        UnitStack unit = UnitStack.create("staging");
        lastDrill(unit, UnitStack.T0.minus(Duration.ofDays(8)).minusSeconds(1));

        assertEquals("OVERDUE", watch(unit).get("status"));
        assertEquals("OVERDUE", watch(UnitStack.create("production")).get("status"), "never drilled");
        assertFalse(unit.audit().contains("DrillUpToDate\":1"), unit.audit());
    }

    @Test
    void theLimitIsDrillAlarmDays() {
        UnitStack unit = UnitStack.create("staging", Map.of("DRILL_ALARM_DAYS", "2"));
        lastDrill(unit, UnitStack.T0.minus(Duration.ofDays(3)));
        assertEquals("OVERDUE", watch(unit).get("status"));

        unit.clock.set(UnitStack.T0.minus(Duration.ofDays(2)));
        assertEquals("UP_TO_DATE", watch(unit).get("status"));
    }

    @Test
    void theRuleAtItsEdges() {
        Instant now = UnitStack.T0;
        Duration limit = Duration.ofDays(8);
        LastDrill atLimit = new LastDrill("j", "f", now.minus(limit), 1, null);
        LastDrill justInside = new LastDrill("j", "f", now.minus(limit).plusMillis(1), 1, null);

        assertFalse(DrillWatch.upToDate(Optional.of(atLimit), now, limit));
        assertTrue(DrillWatch.upToDate(Optional.of(justInside), now, limit));
        assertFalse(DrillWatch.upToDate(Optional.empty(), now, limit));
        assertFalse(DrillWatch.upToDate(Optional.of(new LastDrill("j", "f", null, 0, null)), now, limit));
    }

    @Test
    void anEventForAnotherTaskIsIgnoredAndStartsNothing() {
        UnitStack unit = UnitStack.create("staging");

        Map<String, Object> result = new RestoreDrillHandler(unit.wiring).handleRequest(
                Map.of("source", "aws.events", "detail", Map.of("task", "something-else")), null);

        assertEquals(Map.of("status", "IGNORED"), result);
        assertEquals(List.of(), unit.objects.keys(), "no job, claim or lock");
        assertTrue(unit.audit().contains("\"result\":\"IGNORED\""), unit.audit());
    }

    @Test
    void aScheduleExecutionIsOneJobAndAnInvocationWithoutAnIdIsANewOne() {
        UnitStack unit = UnitStack.create("staging");
        var config = unit.wiring.config;

        assertEquals(RestoreDrillHandler.scheduledJobId(config, "exec-1"),
                RestoreDrillHandler.scheduledJobId(config, "exec-1"));
        assertFalse(RestoreDrillHandler.scheduledJobId(config, "exec-1")
                .equals(RestoreDrillHandler.scheduledJobId(config, "exec-2")));
        assertFalse(RestoreDrillHandler.scheduledJobId(config, "exec-1")
                .equals(RestoreDrillHandler.scheduledJobId(UnitStack.create("production").wiring.config, "exec-1")),
                "environments never share a drill job");
    }
}
