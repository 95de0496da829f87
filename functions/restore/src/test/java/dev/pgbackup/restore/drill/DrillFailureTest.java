package dev.pgbackup.restore.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.failure.Verdict;
import dev.pgbackup.restore.RestoreFailure;
import dev.pgbackup.restore.RoleRestore;
import java.util.List;
import org.junit.jupiter.api.Test;

class DrillFailureTest {
    @Test
    void aRestoreThatFailedGivesTheDrillItsBareReasonWithoutTheTargetsFate() {
        RestoreFailure f = RestoreFailure.unchanged("app", Verdict.RESTORE_FAILED, "pg_restore exited with code 1");

        assertEquals("Restore failed: pg_restore exited with code 1. The database 'app' was not changed",
                f.getMessage());
        assertEquals("pg_restore exited with code 1", DrillFailure.reasonOf(f));
    }

    @Test
    void aRefusalKeepsItsVerdictInTheDrillsWords() {
        RestoreFailure f = RestoreFailure.unchanged("app", Verdict.RESTORE_REFUSED, "backup file x is not the one");

        assertEquals("Restore refused: backup file x is not the one", DrillFailure.reasonOf(f));
        assertEquals("Restore refused: backup file x is not the one", DrillFailure.reasonOf(
                RestoreFailure.refused("app", "backup file x is not the one")));
    }

    @Test
    void aFailureWordedWholeIsTakenWhole() {
        assertEquals("Restore interrupted",
                DrillFailure.reasonOf(RestoreFailure.unchanged("app", "Restore interrupted")));
        assertEquals("the backup has 3 bytes", DrillFailure.reasonOf(Failure.server("the backup has 3 bytes")));
        assertEquals("no space", DrillFailure.reasonOf(Failure.server(Verdict.RESTORE_FAILED, "no space")));
    }

    @Test
    void theReasonSurvivesTheDropAndTheRolesNote() {
        RestoreFailure dropped = RestoreFailure.afterDrop("app", Failure.server(Verdict.RESTORE_FAILED, "disk full"))
                .withRolesCreated(List.of("reader"));

        assertEquals(RestoreFailure.TargetState.DROPPED, dropped.state());
        assertEquals(Verdict.RESTORE_FAILED, dropped.verdict());
        assertEquals("disk full; the roles it created remain on the server: " + RoleRestore.names(List.of("reader")),
                DrillFailure.reasonOf(dropped));
        assertEquals("Restore failed: " + DrillFailure.reasonOf(dropped) + ". In-place mode: the database 'app' had "
                + "already been dropped and is now empty or missing; restore another backup to recover",
                dropped.getMessage());
    }

    @Test
    void theDrillsOwnMessagesOpenWithItsVerdict() {
        DrillFailure before = DrillFailure.before("f.dump", "refused: too big", null);
        DrillFailure after = DrillFailure.after("f.dump", "3 rows missing", "diag", "scratch_1", null);
        DrillFailure kept = DrillFailure.notDropped("f.dump", "scratch_1", "in use");

        assertEquals("Restore drill failed: refused: too big (backup f.dump); no scratch database was created",
                before.getMessage());
        assertEquals("refused: too big", before.reason());
        assertEquals("Restore drill failed: 3 rows missing (backup f.dump); the scratch database was dropped",
                after.getMessage());
        assertEquals("diag", after.diagnostic());
        assertEquals("Restore drill failed: restored and checked f.dump, but the scratch database 'scratch_1' could "
                + "not be dropped (in use); drop it by hand", kept.getMessage());
        assertEquals("Restore drill failed: there is no backup of 'prod' to restore",
                DrillFailure.noBackup("prod").getMessage());
        assertEquals(Verdict.DRILL_FAILED, kept.verdict());
    }
}
