package dev.pgbackup.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {
    static Map<String, String> minimal() {
        return new HashMap<>(
                Map.of("APP_NAME", "pharmatracker", "ENVIRONMENT", "staging", "BUCKET_NAME", "shared-bucket",
                        "DB_URL_PARAMETER", "/pt/staging/db", "JWT_SECRET_PARAMETER", "/pt/jwt",
                        "RESTORE_PASSKEY_PARAMETER", "/pt/passkey"));
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        Config c = Config.from(minimal());
        assertEquals(30, c.retention().scheduledKeep());
        assertEquals(10, c.retention().onDemandKeep());
        assertEquals(Duration.ofDays(7), c.retention().onDemandMaxAge());
        assertEquals(Duration.ofHours(12), c.jwt().maxLifetime());
        assertEquals(null, c.jwt().audience());
        assertTrue(c.acceptsRestoreFrom("production") && c.acceptsRestoreFrom("anything"));
        assertEquals("Asia/Kolkata", c.timeZone().getId());
        assertEquals("IST", c.timeZoneLabel());
        assertEquals("WEB_ACCESS", c.jwt().requiredRole());
        assertEquals(Duration.ofSeconds(20), c.waitBudget());
        assertEquals(Duration.ofMinutes(5), c.recentBackupWindow());
        assertEquals(Config.RestoreMode.SWAP, c.restoreMode());
        assertTrue(c.keepPreRestoreCopy());
        assertEquals("/opt", c.pgToolsDir());
        assertEquals("zstd:3", c.compression().toString());
    }

    @Test
    void everyMissingVariableIsNamedAtOnce() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Config.from(Map.of("APP_NAME", "x")));
        for (String name : new String[] {"ENVIRONMENT", "BUCKET_NAME", "DB_URL_PARAMETER", "JWT_SECRET_PARAMETER",
                "RESTORE_PASSKEY_PARAMETER"}) {
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
        env.put("JWT_MAX_LIFETIME_HOURS", "0");
        env.put("BACKUP_COMPRESSION", "zstd:42");
        env.put("WAIT_BUDGET_SECONDS", "soon");
        String message = assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage();
        for (String name : new String[] {"RETENTION_COUNT", "RESTORE_MODE", "BACKUP_TIME_ZONE", "ENVIRONMENT",
                "WAIT_BUDGET_SECONDS",
                "JWT_MAX_LIFETIME_HOURS", "BACKUP_COMPRESSION"}) {
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
    void environmentNamesCannotContainTheSeparatorEither() {
        // "prod" and "prod-eu" would share IAM prefixes and backup-name prefixes
        Map<String, String> env = minimal();
        env.put("ENVIRONMENT", "prod-eu");
        assertTrue(
                assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage().contains("ENVIRONMENT"));
    }

    @Test
    void booleansAndTheZoneLabelAreStrict() {
        for (String bad : new String[] {"yes", "ture", "1", "TRUE "}) {
            Map<String, String> env = minimal();
            env.put("KEEP_PRE_RESTORE_COPY", bad);
            if (!bad.trim().equalsIgnoreCase("true")) {
                assertTrue(assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage()
                        .contains("KEEP_PRE_RESTORE_COPY"), bad);
            }
        }
        Map<String, String> off = minimal();
        off.put("KEEP_PRE_RESTORE_COPY", "false");
        assertEquals(false, Config.from(off).keepPreRestoreCopy());
        for (String bad : new String[] {"ist", "I-S-T", "UTC+5", "TOOLONGX", "IST.dump"}) {
            Map<String, String> env = minimal();
            env.put("BACKUP_TIME_ZONE_LABEL", bad);
            assertTrue(assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage()
                    .contains("BACKUP_TIME_ZONE_LABEL"), bad);
        }
    }

    @Test
    void restoreSourcesAreAnyOrAList() {
        Map<String, String> env = minimal();
        env.put("RESTORE_SOURCE_ENVIRONMENTS", "production, staging");
        Config c = Config.from(env);
        assertTrue(c.acceptsRestoreFrom("production"));
        assertTrue(c.acceptsRestoreFrom("staging"));
        assertEquals(false, c.acceptsRestoreFrom("qa"));
        env.put("RESTORE_SOURCE_ENVIRONMENTS", "production,../x");
        assertTrue(assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage()
                .contains("RESTORE_SOURCE_ENVIRONMENTS"));
    }

    @Test
    void eachWorkerGoesStaleAfterItsOwnTimeoutAndEventAge() {
        Map<String, String> env = minimal();
        env.put("WORKER_TIMEOUT_SECONDS", "900");
        env.put("BACKUP_WORKER_MAX_EVENT_AGE_SECONDS", "900");
        env.put("RESTORE_WORKER_MAX_EVENT_AGE_SECONDS", "300");
        Config c = Config.from(env);
        assertEquals(Duration.ofMinutes(32), c.backupWorker().staleAfter());
        assertEquals(Duration.ofMinutes(22), c.restoreWorker().staleAfter());
    }

    @Test
    void inPlaceModeIsAccepted() {
        Map<String, String> env = minimal();
        env.put("RESTORE_MODE", "in-place");
        assertEquals(Config.RestoreMode.IN_PLACE, Config.from(env).restoreMode());
    }

    @Test
    void atMostFourRestoreSourcesAsTheTemplateGrantsThem() {
        Map<String, String> env = minimal();
        env.put("RESTORE_SOURCE_ENVIRONMENTS", "a,b,c,d");
        assertEquals(4, Config.from(env).restoreSources().size());
        env.put("RESTORE_SOURCE_ENVIRONMENTS", "a,b,c,d,e");
        assertTrue(assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage()
                .contains("RESTORE_SOURCE_ENVIRONMENTS names at most 4 environments"));
    }

    @Test
    void longTimeoutsOnlyOnManagedInstancesAndEverythingFollowsThem() {
        Map<String, String> env = minimal();
        env.put("WORKER_TIMEOUT_SECONDS", "5400");
        assertEquals("Environment variable WORKER_TIMEOUT_SECONDS must be at most 900 with WORKER_COMPUTE=lambda "
                + "(up to 5400 with WORKER_COMPUTE=managed-instances): 5400",
                assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage());
        env.put("WORKER_COMPUTE", "managed-instances");
        Config c = Config.from(env);
        assertEquals(Config.WorkerCompute.MANAGED_INSTANCES, c.workerCompute());
        assertEquals(Duration.ofSeconds(5355), c.backupWorker().window());
        assertEquals(Duration.ofSeconds(5400 + 900 + 120), c.backupWorker().staleAfter());
        assertEquals(Duration.ofSeconds(5400 + 300 + 120), c.restoreWorker().staleAfter());
        assertEquals(Duration.ofSeconds(5355), c.backupWindow().window());
        env.put("WORKER_TIMEOUT_SECONDS", "5401");
        assertTrue(assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage()
                .contains("must be at most 5400 with WORKER_COMPUTE=managed-instances: 5401"));
        env.put("WORKER_COMPUTE", "ec2");
        assertTrue(assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage()
                .contains("WORKER_COMPUTE must be 'lambda' or 'managed-instances': ec2"));
    }

    @Test
    void theBackupRateIsAPositiveNumber() {
        Map<String, String> env = minimal();
        assertEquals(70.0, Config.from(env).backupRateMBps());
        env.put("BACKUP_RATE_MB_PER_SECOND", "12.5");
        assertEquals(12.5, Config.from(env).backupRateMBps());
        for (String bad : new String[] {"0", "-3", "fast", "NaN", "Infinity"}) {
            env.put("BACKUP_RATE_MB_PER_SECOND", bad);
            assertTrue(assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage()
                    .contains("BACKUP_RATE_MB_PER_SECOND must be a number above 0: " + bad), bad);
        }
    }
}
