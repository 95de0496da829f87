package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RestoreRulesTest {
    static final String APP = "pharmatracker";

    @Test
    void backupNamesOfAnyEnvironmentOfThisAppPass() {
        for (String name : List.of(
                "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump",
                "pharmatracker-staging-on-2025-01-01-at-12-59-59-PM-IST.dump",
                "pharmatracker-qa-east-on-2025-01-01-at-12-00-00-AM-UTC.dump")) {
            assertEquals(Optional.empty(), RestoreApiHandler.filenameProblem(APP, name), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "../pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "backups/pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump/",
            "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump\\",
            "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST%2Edump",
            "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump\t",
            "pharmatracker-prod\u0435ction-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "otherapp-production-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump.tmp",
            "pharmatracker-production-on-2026-11-28-at-00-00-00-AM-IST.dump",
            "pharmatracker-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "pharmatracker-a..b-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "jobs/3f8e2a4c-9b1d-4e6f-8a2b-7c5d0e9f1a3b.json",
            "locks/pharmatracker-production-restore.lock",
            ".."})
    void anythingElseIsRefused(String name) {
        assertTrue(RestoreApiHandler.filenameProblem(APP, name).isPresent(), name);
    }

    @Test
    void aNameLongerThanTheLimitIsRefusedBeforeAnyPatternRuns() {
        String name = "pharmatracker-" + "a".repeat(200) + "-on-2026-11-28-at-02-00-00-AM-IST.dump";
        assertTrue(RestoreApiHandler.filenameProblem(APP, name).orElseThrow().contains("longer than 200"));
    }

    @Test
    void theSafetyMessageIsTheSeedsWordForWord() {
        assertEquals("Safety check failed: No recent backup found from 'production' environment within last 5 minutes. "
                        + "Please create a backup first (POST /api/setting/backup) and then retry restore.",
                RestoreApiHandler.noRecentBackupMessage("production", Duration.ofMinutes(5)));
        assertTrue(RestoreApiHandler.noRecentBackupMessage("staging", Duration.ofMinutes(15)).contains("within last 15 minutes."));
    }
}
