package dev.pgbackup.common.failure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerdictTest {
    @Test
    void eachVerdictOpensWithTheWordsUsersAlreadyRead() {
        Map<Verdict, String> words = new LinkedHashMap<>();
        words.put(Verdict.BACKUP_FAILED, "Backup failed: ");
        words.put(Verdict.BACKUP_REFUSED, "Backup refused: ");
        words.put(Verdict.RESTORE_FAILED, "Restore failed: ");
        words.put(Verdict.RESTORE_REFUSED, "Restore refused: ");
        words.put(Verdict.DRILL_FAILED, "Restore drill failed: ");
        words.put(Verdict.DRILL_REFUSED, "Restore drill refused: ");
        words.put(Verdict.REFRESH_FAILED, "Refresh failed: ");
        words.put(Verdict.REFRESH_REFUSED, "Refresh refused: ");
        words.put(Verdict.SAFETY_CHECK_FAILED, "Safety check failed: ");
        words.put(Verdict.ACCESS_DENIED, "Access denied: ");
        assertEquals(Arrays.asList(Verdict.values()), java.util.List.copyOf(words.keySet()), "one wording per verdict");
        words.forEach((verdict, opening) -> {
            assertEquals(opening, verdict.words());
            assertEquals(opening + "the disk is full", verdict.message("the disk is full"));
        });
    }

    @Test
    void aFailureWithAVerdictKeepsItsReasonApart() {
        Failure f = Failure.server(Verdict.BACKUP_FAILED, "pg_dump exited with code 1", "stderr text");

        assertEquals("Backup failed: pg_dump exited with code 1", f.getMessage());
        assertEquals(Verdict.BACKUP_FAILED, f.verdict());
        assertEquals("pg_dump exited with code 1", f.reason());
        assertEquals("Backup failed: pg_dump exited with code 1", f.statement());
        assertEquals("stderr text", f.diagnostic());
        assertEquals(500, f.status());
    }

    @Test
    void theKindIsTheCallersNotTheVerdicts() {
        Failure conflict = Failure.conflict(Verdict.REFRESH_REFUSED, "a restore is running");
        Failure forbidden = new Failure(Failure.Kind.FORBIDDEN, Verdict.ACCESS_DENIED, "role admin is required");

        assertEquals(409, conflict.status());
        assertEquals("Refresh refused: a restore is running", conflict.getMessage());
        assertEquals(403, forbidden.status());
        assertEquals("Access denied: role admin is required", forbidden.getMessage());
        assertEquals("role admin is required", forbidden.reason());
    }

    @Test
    void aFailureWithoutAVerdictIsAllReason() {
        Failure f = Failure.badRequest("Unknown field 'x'");

        assertNull(f.verdict());
        assertEquals("Unknown field 'x'", f.reason());
        assertEquals("Unknown field 'x'", f.statement());
        assertEquals("Unknown field 'x'", f.getMessage());
    }

    @Test
    void aTailFollowsTheReasonInTheMessageButIsNeitherReasonNorStatement() {
        Failure f = new Failure(Failure.Kind.SERVER, Verdict.RESTORE_FAILED, "disk full", ". Nothing changed", null) {};

        assertEquals("Restore failed: disk full. Nothing changed", f.getMessage());
        assertEquals("disk full", f.reason());
        assertEquals("Restore failed: disk full", f.statement());
    }
}
