package dev.pgbackup.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DrillSettingsTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        DrillSettings drill = Config.from(ConfigTest.minimal()).drill();

        assertEquals(Optional.empty(), drill.verificationServer(), "the environment's own server");
        assertTrue(drill.recordRowCounts());
        assertEquals(Duration.ofDays(8), drill.alarmAfter());
        assertEquals(Duration.ofSeconds(900), drill.worker().timeout());
        assertEquals(Duration.ofSeconds(900 + 300 + 120), drill.worker().staleAfter());
    }

    @Test
    void everyDrillVariableIsRead() {
        Map<String, String> env = ConfigTest.minimal();
        env.put("DRILL_DATABASE_URL_PARAMETER", "/pt/verify/db-url");
        env.put("RECORD_ROW_COUNTS", "false");
        env.put("DRILL_ALARM_DAYS", "15");
        env.put("WORKER_TIMEOUT_SECONDS", "600");

        DrillSettings drill = Config.from(env).drill();

        assertEquals(Optional.of("/pt/verify/db-url"), drill.verificationServer());
        assertFalse(drill.recordRowCounts());
        assertEquals(Duration.ofDays(15), drill.alarmAfter());
        assertEquals(Duration.ofSeconds(600), drill.worker().timeout(), "the workers' timeout on standard Lambda");
    }

    @Test
    void onManagedInstancesTheDrillKeepsStandardLambdasTimeout() {
        Map<String, String> env = ConfigTest.minimal();
        env.put("WORKER_COMPUTE", "managed-instances");
        env.put("WORKER_TIMEOUT_SECONDS", "5400");

        Config config = Config.from(env);

        assertEquals(Duration.ofSeconds(900), config.drill().worker().timeout());
        assertEquals(Duration.ofSeconds(5400), config.restoreWorker().timeout());
    }

    @Test
    void badDrillValuesAreRefusedWithTheirName() {
        Map<String, String> env = ConfigTest.minimal();
        env.put("DRILL_DATABASE_URL_PARAMETER", "postgresql://user:secret@host/db");
        env.put("RECORD_ROW_COUNTS", "yes");
        env.put("DRILL_ALARM_DAYS", "0");

        String message = assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage();

        assertTrue(message.contains("Environment variable DRILL_DATABASE_URL_PARAMETER must be an SSM parameter name "
                + "starting with '/'"), message);
        assertTrue(message.contains("Environment variable RECORD_ROW_COUNTS must be 'true' or 'false': yes"), message);
        assertTrue(message.contains("Environment variable DRILL_ALARM_DAYS must be at least 1: 0"), message);
    }

    @Test
    void eachJobTypeHasItsFunctionsLimits() {
        UnitStack unit = UnitStack.create("staging", Map.of("WORKER_TIMEOUT_SECONDS", "600"));

        assertEquals(unit.wiring.config.backupWorker(), unit.wiring.limitsOf(JobRecord.Type.BACKUP));
        assertEquals(unit.wiring.config.restoreWorker(), unit.wiring.limitsOf(JobRecord.Type.RESTORE));
        assertEquals(unit.wiring.config.drill().worker(), unit.wiring.limitsOf(JobRecord.Type.DRILL));
    }
}
