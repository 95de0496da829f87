package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class DatabaseNamesTest {
    static final Instant WHEN = Instant.parse("2026-11-27T20:30:05Z");
    static final Predicate<String> NONE = name -> false;

    @Test
    void twoRestoresInTheSameSecondGetDistinctNames() {
        DatabaseNames names = new DatabaseNames("app");
        Set<String> existing = new HashSet<>();
        for (int i = 0; i < DatabaseNames.MAX_COUNTER; i++) {
            String old = names.preRestore(WHEN, existing::contains);
            String fresh = names.restoring(WHEN, existing::contains);
            assertTrue(existing.add(old), old);
            assertTrue(existing.add(fresh), fresh);
            assertTrue(bytes(old) <= 63);
        }
        assertTrue(existing.contains("app_pre_restore_20261127_203005_2"));
        assertThrows(IllegalStateException.class, () -> names.preRestore(WHEN, existing::contains));
    }

    static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void shortNamesKeepTheTargetAsTheirPrefix() {
        DatabaseNames names = new DatabaseNames("pharmatracker");
        assertEquals("pharmatracker_restore_20261127_203005", names.restoring(WHEN, NONE));
        assertEquals("pharmatracker_pre_restore_20261127_203005", names.preRestore(WHEN, NONE));
    }

    @Test
    void generatedNamesNeverPassSixtyThreeBytes() {
        for (int length = 1; length <= 63; length++) {
            String target = "d".repeat(length);
            DatabaseNames names = new DatabaseNames(target);
            assertTrue(bytes(names.preRestore(WHEN, NONE)) <= 63, names.preRestore(WHEN, NONE));
            assertTrue(bytes(names.restoring(WHEN, NONE)) <= 63, names.restoring(WHEN, NONE));
            assertNotEquals(target, names.restoring(WHEN, NONE));
            assertNotEquals(target, names.preRestore(WHEN, NONE));
        }
    }

    @Test
    void longNamesAreCutOnACharacterBoundaryAndKeptApartByAHash() {
        String a = "ä".repeat(30) + "a"; // 61 bytes of two-byte characters
        String b = "ä".repeat(30) + "b";
        String na = new DatabaseNames(a).preRestore(WHEN, NONE);
        String nb = new DatabaseNames(b).preRestore(WHEN, NONE);
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
