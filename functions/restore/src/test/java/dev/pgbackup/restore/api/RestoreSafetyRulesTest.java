package dev.pgbackup.restore.api;

import static dev.pgbackup.restore.api.RestoreApiFixture.T0;
import static dev.pgbackup.restore.api.RestoreApiFixture.assertRefused;
import static dev.pgbackup.restore.api.RestoreApiFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.storage.LastRestore;
import dev.pgbackup.restore.api.RestoreApiFixture.Stack;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The restore API's checks in their order, after the request is well formed: the passkey, the backup, the
 * environments this stack accepts, and a safety backup of this environment newer than its last restore.
 */
class RestoreSafetyRulesTest {
    // ---------------------------------------------------------------- the checks, in order

    @Test
    void aWrongPasskeyIsRefusedBeforeAnythingElseIsRevealed() {
        Stack s = new Stack();
        assertRefused(s.restore(s.productionBackup, "not-the-passkey"), 403, "Invalid restore passkey");
        // checked before existence: a missing file does not answer 404 to a wrong passkey
        assertRefused(s.restore(BackupFiles.name("production", Instant.parse("2020-01-01T00:00:00Z")),
                TestStack.PASSKEY + "x"), 403, "Invalid restore passkey");
        assertEquals(403, s.restore(s.productionBackup, TestStack.PASSKEY.toLowerCase()).getStatusCode());
        assertEquals(403, s.restore(s.productionBackup, " " + TestStack.PASSKEY).getStatusCode());
        s.assertNothingStarted();
        assertFalse(s.unit.audit().contains("not-the-passkey"));
    }

    @Test
    void aMissingBackupIsA404WithTheKnownMessage() {
        Stack s = new Stack();
        String missing = BackupFiles.name("production", Instant.parse("2020-01-01T00:00:00Z"));
        assertRefused(s.restore(missing, TestStack.PASSKEY), 404, "Backup file not found: " + missing);
        s.assertNothingStarted();
    }

    @Test
    void aStackRestoresOnlyTheEnvironmentsItAccepts() {
        Stack s = new Stack(Map.of("RESTORE_SOURCE_ENVIRONMENTS", "staging"), true);
        assertRefused(s.restore(s.productionBackup, TestStack.PASSKEY), 409, "Safety check failed: backups of "
                + "'production' may not be restored into 'staging' (this stack accepts backups of: staging)");
        s.assertNothingStarted();
    }

    @Test
    void withoutARecentBackupOfThisEnvironmentTheSafetyCheckRefuses() {
        String message = "Safety check failed: No recent backup found from 'staging' environment within last 5 minutes. "
                + "Please create a backup first (POST /api/setting/backup) and then retry restore.";
        Stack none = new Stack(Map.of(), false);
        // a production backup a second old does not count: the staging database is what gets replaced
        none.unit.plantBackup("production", T0.minusSeconds(1));
        assertRefused(none.restore(none.productionBackup, TestStack.PASSKEY), 409, message);
        none.assertNothingStarted();

        Stack old = new Stack();
        old.unit.clock.advance(Duration.ofMinutes(6));
        assertRefused(old.restore(old.productionBackup, TestStack.PASSKEY), 409, message);

        Stack ten = new Stack(Map.of("RECENT_BACKUP_MINUTES", "10"), true);
        ten.unit.clock.advance(Duration.ofMinutes(11));
        assertRefused(ten.restore(ten.productionBackup, TestStack.PASSKEY), 409,
                message.replace("5 minutes", "10 minutes"));

        // a completion record whose backup is gone does not count
        Stack gone = new Stack();
        gone.unit.objects.list("pharmatracker-staging-").forEach(o -> gone.unit.objects.delete(o.key()));
        assertRefused(gone.restore(gone.productionBackup, TestStack.PASSKEY), 409, message);
    }

    @Test
    void aCompletionRecordPlantedUnderAnotherEnvironmentsPrefixDoesNotCount() {
        Stack s = new Stack(Map.of(), false);
        String mine = s.unit.plantBackup("staging", T0.minusSeconds(30));
        // written where production's stack keeps its records: staging never reads it
        s.unit.objects.plant("pgbackup/state/pharmatracker-production/last-backup.json", Json.write(
                new dev.pgbackup.common.storage.LastBackup(mine, "x", T0, T0, null, null)), T0);
        s.unit.objects.plant("jobs/last-backup-pharmatracker-staging.json", "{\"filename\":\"" + mine
                + "\",\"completedAt\":\"" + T0 + "\"}", T0); // the old, shared key
        assertEquals(409, s.restore(s.productionBackup, TestStack.PASSKEY).getStatusCode());
    }

    @Test
    void theSafetyBackupMustBeNewerThanTheLastRestore() {
        Stack s = new Stack();
        s.unit.objects.plant(s.unit.wiring.keys.lastRestore(), Json.write(new LastRestore(
                "22222222-2222-2222-2222-222222222222", s.productionBackup, T0.minusSeconds(30))), T0.minusSeconds(30));
        APIGatewayV2HTTPResponse r = s.restore(s.productionBackup, TestStack.PASSKEY);
        assertEquals(409, r.getStatusCode());
        assertTrue(((String) json(r).get("message")).startsWith("Safety check failed: the newest backup of 'staging' "
                + "started before its last restore (job 22222222-2222-2222-2222-222222222222)"), r.getBody());
        // a backup started after that restore counts
        String fresh = s.unit.plantBackup("staging", T0.minusSeconds(5));
        s.unit.markCompleted(fresh, T0.minusSeconds(20), T0.minusSeconds(5));
        assertEquals(202, s.restore(s.productionBackup, TestStack.PASSKEY).getStatusCode());
    }
}
