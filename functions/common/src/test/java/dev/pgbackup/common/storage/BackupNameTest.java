package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.config.Config;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BackupNameTest {
    static Config config(String env, Map<String, String> extra) {
        Map<String, String> m = new HashMap<>(
                Map.of("APP_NAME", "pharmatracker", "ENVIRONMENT", env, "BUCKET_NAME", "b",
                        "DB_URL_PARAMETER", "/d", "JWT_SECRET_PARAMETER", "/j", "RESTORE_PASSKEY_PARAMETER", "/p"));
        m.putAll(extra);
        return Config.from(m);
    }

    @Test
    void namesUseTwelveHourLocalTimeOfTheConfiguredZone() {
        Config c = config("production", Map.of());
        // 2026-03-05T15:04:09Z is 20:34:09 in Kolkata
        assertEquals("pharmatracker-production-on-2026-03-05-at-08-34-09-PM-IST.dump",
                BackupName.create(c, Instant.parse("2026-03-05T15:04:09Z")).filename());
        // just after local midnight: 12 AM, not 00
        assertEquals("pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump",
                BackupName.create(c, Instant.parse("2026-03-05T18:30:01Z")).filename());
        // noon is 12 PM
        assertEquals("pharmatracker-production-on-2026-03-06-at-12-00-00-PM-IST.dump",
                BackupName.create(c, Instant.parse("2026-03-06T06:30:00Z")).filename());
    }

    @Test
    void zoneAndLabelAreConfigurable() {
        Config c = config("staging", Map.of("BACKUP_TIME_ZONE", "UTC", "BACKUP_TIME_ZONE_LABEL", "UTC"));
        assertEquals("pharmatracker-staging-on-2026-03-05-at-03-04-09-PM-UTC.dump",
                BackupName.create(c, Instant.parse("2026-03-05T15:04:09Z")).filename());
    }

    @Test
    void parsesNamesOfAnyEnvironmentBackToTheirLocalTime() {
        BackupName n = BackupName
                .parse("pharmatracker", "pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump").orElseThrow();
        assertEquals("production", n.environment());
        assertEquals(LocalDateTime.of(2026, 3, 6, 0, 0, 1), n.localTime());
        BackupName pm = BackupName
                .parse("pharmatracker", "pharmatracker-pre-prod-on-2025-12-31-at-11-59-59-PM-IST.dump").orElseThrow();
        assertEquals("pre-prod", pm.environment());
        assertEquals(LocalDateTime.of(2025, 12, 31, 23, 59, 59), pm.localTime());
    }

    @Test
    void roundTrips() {
        Config c = config("staging", Map.of());
        BackupName created = BackupName.create(c, Instant.now());
        assertEquals(created, BackupName.parse("pharmatracker", created.filename()).orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump.tmp",
            "../pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "jobs/pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump/../x",
            "otherapp-production-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-Production-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-prod%2F..-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-13-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-03-06-at-13-00-01-PM-IST.dump",
            "pharmatracker-production-on-2026-03-06-at-00-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-02-30-at-12-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-03-06-at-12-00-01-XM-IST.dump",
            "pharmatracker-prod uction-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump\n",
    })
    void rejectsAnythingThatIsNotABackupOfThisApp(String name) {
        assertTrue(BackupName.parse("pharmatracker", name).isEmpty(), name);
    }

    @Test
    void rejectsOverlongNames() {
        String env = "e".repeat(300);
        assertTrue(BackupName.parse("pharmatracker", "pharmatracker-" + env + "-on-2026-03-06-at-12-00-01-AM-IST.dump")
                .isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-qa-east_1-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "otherapp-production-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-02-30-at-12-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-03-06-at-13-00-01-PM-IST.dump",
            "pharmatracker-production-on-0000-00-00-at-00-00-00-AM-A.dump",
            "pharmatracker-production-on-9999-99-99-at-99-99-99-PM-ZZZZZZ.dump",
            "0-0-on-0000-00-00-at-00-00-00-AM-A.dump",
    })
    void wellFormedNamesNeedNotBeBackupsOfThisApp(String name) {
        assertTrue(BackupName.isWellFormed(name), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "0-on-0000-00-00-at-00-00-00-AM-A.dump",
            "pharmatracker-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-_production-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump.tmp",
            "../pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "jobs/pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-Production-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-prod%2F..-on-2026-03-06-at-12-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-03-06-at-2-00-01-AM-IST.dump",
            "pharmatracker-production-on-2026-03-06-at-12-00-01-XM-IST.dump",
            "pharmatracker-production-on-2026-03-06-at-12-00-01-AM-ISTABCD.dump",
            "pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.DUMP",
            "pharmatracker-production-on-2026-03-06-at-12-00-01-AM-IST.dump\n",
            "pharmatracker-production-on-\u0662\u0660\u0662\u0666-03-06-at-12-00-01-AM-IST.dump",
    })
    void anythingElseIsNotWellFormed(String name) {
        assertFalse(BackupName.isWellFormed(name), name);
    }

    @Test
    void theLongestNameAndEnvironmentAreWhatTheDocumentSays() {
        String shortestStamp = "-on-2026-03-06-at-12-00-01-AM-Z.dump";
        String longestEnvironment = "e".repeat(BackupName.MAX_ENVIRONMENT_LENGTH);
        String longest = "a-" + longestEnvironment + shortestStamp;
        assertEquals(200, longest.length());
        assertEquals(162, BackupName.MAX_ENVIRONMENT_LENGTH, "docs/openapi.yaml: the environment's maxLength");
        assertTrue(BackupName.isWellFormed(longest));
        assertEquals(longestEnvironment, BackupName.parse("a", longest).orElseThrow().environment());
        assertFalse(BackupName.isWellFormed("a-e" + longestEnvironment + shortestStamp), "201 characters");
        assertTrue(BackupName.isEnvironment(longestEnvironment));
        assertFalse(BackupName.isEnvironment(longestEnvironment + "e"));
        for (String environment : new String[] {"production", "qa-east_1", "0", "a_-_b"}) {
            assertTrue(BackupName.isEnvironment(environment), environment);
        }
        for (String environment : new String[] {"", " ", "-a", "a-", "a--b", "_a", "A", "a.b", "a/b", "\u00e9"}) {
            assertFalse(BackupName.isEnvironment(environment), environment);
        }
    }
}
