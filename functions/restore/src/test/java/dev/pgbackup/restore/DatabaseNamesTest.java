package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DatabaseNamesTest {
    static final Instant WHEN = Instant.parse("2026-11-27T20:30:05Z");

    static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void shortNamesKeepTheTargetAsTheirPrefix() {
        DatabaseNames names = new DatabaseNames("pharmatracker");
        assertEquals("pharmatracker_restore_20261127_203005", names.restoring(WHEN));
        assertEquals("pharmatracker_pre_restore_20261127_203005", names.preRestore(WHEN));
        assertTrue(names.restoringPattern().matcher("pharmatracker_restore_20250101_000000").matches());
        assertTrue(!names.restoringPattern().matcher("pharmatracker_restore_20250101_000000x").matches());
        assertTrue(!names.restoringPattern().matcher("pharmatracker").matches());
        assertTrue(!names.restoringPattern().matcher("pharmatracker_pre_restore_20250101_000000").matches());
    }

    @Test
    void generatedNamesNeverPassSixtyThreeBytes() {
        for (int length = 1; length <= 63; length++) {
            String target = "d".repeat(length);
            DatabaseNames names = new DatabaseNames(target);
            assertTrue(bytes(names.preRestore(WHEN)) <= 63, names.preRestore(WHEN));
            assertTrue(bytes(names.restoring(WHEN)) <= 63, names.restoring(WHEN));
            assertNotEquals(target, names.restoring(WHEN));
            assertNotEquals(target, names.preRestore(WHEN));
        }
    }

    @Test
    void longNamesAreCutOnACharacterBoundaryAndKeptApartByAHash() {
        String a = "ä".repeat(30) + "a";   // 61 bytes of two-byte characters
        String b = "ä".repeat(30) + "b";
        String na = new DatabaseNames(a).preRestore(WHEN);
        String nb = new DatabaseNames(b).preRestore(WHEN);
        assertTrue(bytes(na) <= 63, na);
        assertNotEquals(na, nb);
        // no broken UTF-8 sequence
        assertEquals(na, new String(na.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
        assertTrue(na.startsWith("ää"));
    }

    @Test
    void quotingNeutralisesQuotesAndRejectsNul() {
        assertEquals("\"app\"", DatabaseNames.quoteIdent("app"));
        assertEquals("\"a\"\"; DROP DATABASE x; --\"", DatabaseNames.quoteIdent("a\"; DROP DATABASE x; --"));
        assertEquals("'it''s'", DatabaseNames.quoteLiteral("it's"));
        assertEquals("dbname='a\\'b\\\\c'", DatabaseNames.conninfoDbname("a'b\\c"));
        assertThrows(IllegalArgumentException.class, () -> DatabaseNames.quoteIdent("a\0b"));
        assertThrows(IllegalArgumentException.class, () -> new DatabaseNames("x".repeat(64)));
        assertThrows(IllegalArgumentException.class, () -> new DatabaseNames(""));
    }
}
