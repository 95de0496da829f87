package dev.pgbackup.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {
    static Map<String, String> minimal() {
        return new HashMap<>(Map.of("APP_NAME", "pharmatracker", "ENVIRONMENT", "staging", "BUCKET_NAME", "shared-bucket",
                "DB_URL_PARAMETER", "/pt/staging/db", "JWT_SECRET_PARAMETER", "/pt/jwt", "RESTORE_PASSKEY_PARAMETER", "/pt/passkey"));
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        Config c = Config.from(minimal());
        assertEquals(30, c.retentionCount());
        assertEquals("Asia/Kolkata", c.timeZone().getId());
        assertEquals("IST", c.timeZoneLabel());
        assertEquals("WEB_ACCESS", c.requiredRole());
        assertEquals(Duration.ofSeconds(20), c.waitBudget());
        assertEquals(Duration.ofMinutes(5), c.recentBackupWindow());
        assertEquals(Config.RestoreMode.SWAP, c.restoreMode());
        assertTrue(c.keepPreRestoreCopy());
        assertEquals("/opt", c.pgToolsDir());
    }

    @Test
    void everyMissingVariableIsNamedAtOnce() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Config.from(Map.of("APP_NAME", "x")));
        for (String name : new String[] {"ENVIRONMENT", "BUCKET_NAME", "DB_URL_PARAMETER", "JWT_SECRET_PARAMETER", "RESTORE_PASSKEY_PARAMETER"}) {
            assertTrue(e.getMessage().contains("Missing required environment variable: " + name), e.getMessage());
        }
    }

    @Test
    void badValuesAreRefusedWithTheirName() {
        Map<String, String> env = minimal();
        env.put("RETENTION_COUNT", "0");
        env.put("RESTORE_MODE", "yolo");
        env.put("BACKUP_TIME_ZONE", "Mars/Olympus");
        env.put("ENVIRONMENT", "Prod/../x");
        env.put("WAIT_BUDGET_SECONDS", "soon");
        String message = assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage();
        for (String name : new String[] {"RETENTION_COUNT", "RESTORE_MODE", "BACKUP_TIME_ZONE", "ENVIRONMENT", "WAIT_BUDGET_SECONDS"}) {
            assertTrue(message.contains(name), message);
        }
    }

    @Test
    void appNamesCannotContainTheSeparator() {
        Map<String, String> env = minimal();
        env.put("APP_NAME", "pharma-tracker");
        assertTrue(assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage().contains("APP_NAME"));
    }

    @Test
    void inPlaceModeIsAccepted() {
        Map<String, String> env = minimal();
        env.put("RESTORE_MODE", "in-place");
        assertEquals(Config.RestoreMode.IN_PLACE, Config.from(env).restoreMode());
    }
}
