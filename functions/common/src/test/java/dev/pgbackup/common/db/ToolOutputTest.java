package dev.pgbackup.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A tool's stderr kept for its diagnostic: the problem lines, bounded, never empty. */
class ToolOutputTest {
    private static ToolOutput fed(String text, int chunk) {
        ToolOutput out = new ToolOutput(null);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += chunk) {
            byte[] part = java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + chunk));
            out.accept(part, part.length);
        }
        out.finish();
        return out;
    }

    /** pg_dump on 2,000 tables: its DETAIL line quotes a LOCK TABLE of all of them, and is the last thing it writes. */
    @Test
    void theErrorSurvivesAHugeDetailLine() {
        StringBuilder lock = new StringBuilder("pg_dump: detail: Query was: LOCK TABLE ");
        for (int i = 0; i < 2000; i++) {
            lock.append(i == 0 ? "" : ", ").append("tenant_0007_operations.prescription_line_items_").append(i);
        }
        String stderr = "pg_dump: last built-in OID is 16383\npg_dump: reading extensions\n"
                + "pg_dump: error: query failed: ERROR:  permission denied for table secret_t\n" + lock + "\n";
        String diagnostic = fed(stderr, 4096).diagnostic("pg_dump");
        assertTrue(diagnostic.startsWith("pg_dump: error: query failed: ERROR:  permission denied for table secret_t\n"
                + "pg_dump: detail: Query was: LOCK TABLE tenant_0007"), diagnostic);
        assertTrue(diagnostic.endsWith(" more characters]"), diagnostic);
        assertTrue(diagnostic.length() < 2 * ToolOutput.MAX_LINE_CHARS, diagnostic.length() + " characters");
        assertTrue(ToolErrors.meaning("pg_dump", diagnostic).startsWith("the database user lacks a privilege"));
    }

    @Test
    void withoutAProblemLineTheLastLinesAreKept() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            lines.add("pg_restore: processing item " + i);
        }
        String diagnostic = fed(String.join("\n", lines), 7).diagnostic("pg_restore");
        assertEquals(String.join("\n", lines.subList(100 - ToolOutput.RECENT_LINES, 100)), diagnostic);
    }

    @Test
    void neverEmptyAndBoundedWhateverTheToolWrites() {
        assertEquals("pg_dump wrote nothing to stderr", fed("", 1).diagnostic("pg_dump"));
        assertEquals("pg_dump wrote only blank lines to stderr", fed("\n\n  \n", 1).diagnostic("pg_dump"));
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            many.append("pg_restore: error: could not execute query ").append(i).append('\n');
        }
        String diagnostic = fed(many.toString(), 8192).diagnostic("pg_restore");
        List<String> kept = diagnostic.lines().toList();
        assertEquals("pg_restore: error: could not execute query 0", kept.get(0));
        assertTrue(kept.contains("[" + (10_000 - ToolOutput.MAX_PROBLEM_LINES) + " more problem lines not kept]"),
                diagnostic);
        assertEquals("pg_restore: error: could not execute query 9999", kept.get(kept.size() - 1), "the last one too");
        assertTrue(kept.size() <= ToolOutput.MAX_PROBLEM_LINES + 1 + ToolOutput.RECENT_LINES);
    }

    @Test
    void aToolThatSucceededStillSaysWhatItWarnedAbout() {
        ToolOutput out = fed("pg_dump: reading extensions\npg_dump: warning: subscriptions not dumped because current "
                + "user is not a superuser\n" + "pg_dump: warning: x\n".repeat(10), 100);
        assertEquals(ToolOutput.MAX_WARNINGS, out.warnings().size());
        assertEquals("pg_dump: warning: subscriptions not dumped because current user is not a superuser",
                out.warnings().get(0));
    }

    @Test
    void multiByteCharactersSplitAcrossReadsStayWhole() {
        String stderr = "pg_dump: error: permission denied for table \"größe_ü\"\n";
        assertEquals(stderr.strip(), fed(stderr, 1).diagnostic("pg_dump"));
    }
}
