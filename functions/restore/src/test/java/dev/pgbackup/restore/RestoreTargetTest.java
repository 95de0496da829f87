package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.failure.Verdict;
import org.junit.jupiter.api.Test;

/** What a restore step's failure says of its target: the named database's fate, and nothing for a scratch one. */
class RestoreTargetTest {
    @Test
    void aNamedTargetIsToldAsUnchanged() {
        RestoreFailure f = RestoreFailure.failed(RestoreTarget.named("app"), "disk full");

        assertEquals("Restore failed: disk full. The database 'app' was not changed", f.getMessage());
        assertEquals("app", f.target());
        assertEquals(f.getMessage(), RestoreFailure.failed("app", "disk full").getMessage(), "as by its name");
    }

    @Test
    void aScratchTargetGetsNoFakeNameAndNoTail() {
        RestoreFailure failed = RestoreFailure.failed(RestoreTarget.SCRATCH, "disk full", "detail");
        RestoreFailure refused = RestoreFailure.unchanged(RestoreTarget.SCRATCH, Verdict.RESTORE_REFUSED, "no key");
        RestoreFailure worded = RestoreFailure.unchanged(RestoreTarget.SCRATCH, "Restore interrupted");

        assertEquals("Restore failed: disk full", failed.getMessage());
        assertEquals("detail", failed.diagnostic());
        assertEquals("Restore refused: no key", refused.getMessage());
        assertEquals("Restore interrupted", worded.getMessage());
        assertFalse(failed.getMessage().contains("'"), failed.getMessage());
        assertEquals(RestoreFailure.TargetState.UNCHANGED, failed.state());
    }

    @Test
    void onlyAScratchTargetIsNameless() {
        assertTrue(RestoreTarget.SCRATCH.isScratch());
        assertFalse(RestoreTarget.named("app").isScratch());
        assertEquals("app", RestoreTarget.named("app").database());
        assertThrows(IllegalStateException.class, RestoreTarget.SCRATCH::database);
        assertThrows(NullPointerException.class, () -> RestoreTarget.named(null));
    }
}
