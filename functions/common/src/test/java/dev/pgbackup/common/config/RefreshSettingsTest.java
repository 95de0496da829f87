package dev.pgbackup.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The refresh, sanitising and copy settings: off by default, and refused when they would not do what they say. */
class RefreshSettingsTest {
    static Map<String, String> env(String... keysAndValues) {
        Map<String, String> env = new HashMap<>(ConfigTest.minimal());
        for (int i = 0; i < keysAndValues.length; i += 2) {
            env.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return env;
    }

    static String problem(String... keysAndValues) {
        return assertThrows(IllegalStateException.class, () -> Config.from(env(keysAndValues))).getMessage();
    }

    @Test
    void offByDefault() {
        Config c = Config.from(env());
        assertEquals(Optional.empty(), c.refresh().source());
        assertFalse(c.refresh().sanitizes());
        assertEquals(new CopySettings(Duration.ofHours(24), 2), c.copies());
    }

    @Test
    void aRefreshNamesAnotherEnvironmentThatThisStackAccepts() {
        String env = Config.from(env()).environment();
        assertEquals(Optional.of("prod_x"),
                Config.from(env("REFRESH_SOURCE_ENVIRONMENT", "prod_x")).refresh().source());
        assertTrue(problem("REFRESH_SOURCE_ENVIRONMENT", env).contains("names this environment itself"));
        assertTrue(problem("REFRESH_SOURCE_ENVIRONMENT", "Prod-1").contains("must be an environment name"));
        assertTrue(problem("REFRESH_SOURCE_ENVIRONMENT", "production", "RESTORE_SOURCE_ENVIRONMENTS", "qa")
                .contains("names 'production', whose backups RESTORE_SOURCE_ENVIRONMENTS does not accept (qa)"));
    }

    @Test
    void oneSanitisingScriptUnderThisStacksOwnPrefixAndOnlyWithSwapRestores() {
        Config c = Config.from(env());
        String prefix = "pgbackup/sanitize/" + c.appName() + "-" + c.environment() + "/";
        assertEquals(prefix + "mask.sql", Config.from(env("SANITIZE_SCRIPT_S3_KEY", prefix + "mask.sql")).refresh()
                .sanitizeS3Key());
        assertEquals("/app/mask", Config.from(env("SANITIZE_SCRIPT_PARAMETER", "/app/mask")).refresh()
                .sanitizeParameter());
        assertTrue(problem("SANITIZE_SCRIPT_S3_KEY", "pgbackup/sanitize/other-env/mask.sql").contains("must be a key "
                + "under " + prefix));
        assertTrue(problem("SANITIZE_SCRIPT_S3_KEY", prefix + "../x.sql").contains("must be a key under"));
        assertTrue(problem("SANITIZE_SCRIPT_S3_KEY", prefix).contains("must be a key under"));
        assertTrue(problem("SANITIZE_SCRIPT_PARAMETER", "mask").contains("must be an SSM parameter name"));
        assertTrue(problem("SANITIZE_SCRIPT_PARAMETER", "/a", "SANITIZE_SCRIPT_S3_KEY", prefix + "b.sql")
                .contains("not both"));
        assertTrue(problem("SANITIZE_SCRIPT_PARAMETER", "/a", "RESTORE_MODE", "in-place").contains("needs RESTORE_MODE="
                + "swap"));
        assertTrue(problem("RESTORE_COPIES_TO_KEEP", "0").contains("RESTORE_COPIES_TO_KEEP must be at least 1"));
        assertTrue(problem("RESTORE_COPY_EXPIRY_HOURS", "0").contains("RESTORE_COPY_EXPIRY_HOURS must be at least 1"));
    }
}
