package dev.pgbackup.common.db;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * A tool's stderr, kept for its diagnostic within a fixed bound whatever it writes. A byte tail is not enough:
 * pg_dump's error on a schema of thousands of tables is followed by a {@code DETAIL: Query was: LOCK TABLE ...}
 * line of every table (100+ KB), and the last bytes of that line are all a tail would keep. So the lines that
 * report a problem ({@link ToolErrors#isProblem}) are kept in order, each cut to {@link #MAX_LINE_CHARS}, the
 * first {@link #MAX_PROBLEM_LINES} of them, beside the last {@link #RECENT_LINES} lines of any kind (for a tool
 * that failed without saying "error").
 */
final class ToolOutput {
    static final int MAX_LINE_CHARS = 500;
    static final int MAX_PROBLEM_LINES = 20;
    static final int RECENT_LINES = 8;
    static final int MAX_WARNINGS = 5;
    private static final java.util.regex.Pattern WARNING = java.util.regex.Pattern.compile("\\bwarning:",
            java.util.regex.Pattern.CASE_INSENSITIVE);
    /** Bytes of one line held while it is read: the rest of a longer line is only counted. */
    private static final int MAX_LINE_BYTES = 4 * MAX_LINE_CHARS;

    private final Consumer<String> listener;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private long lineBytes;
    private final List<String> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private int problemsDropped;
    private final Deque<String> recent = new ArrayDeque<>();
    private long totalBytes;

    ToolOutput(Consumer<String> listener) {
        this.listener = listener;
    }

    /** Feeds bytes as read from the pipe. */
    synchronized void accept(byte[] buffer, int n) {
        for (int i = 0; i < n; i++) {
            byte b = buffer[i];
            totalBytes++;
            if (b == '\n') {
                endLine();
            } else {
                if (lineBytes < MAX_LINE_BYTES) {
                    line.write(b);
                }
                lineBytes++;
            }
        }
    }

    /** The stream ended: a last line without its newline still counts. */
    synchronized void finish() {
        if (lineBytes > 0) {
            endLine();
        }
    }

    private void endLine() {
        String text = line.toString(StandardCharsets.UTF_8);
        long cut = lineBytes - line.size();
        line.reset();
        lineBytes = 0;
        if (listener != null) {
            try {
                listener.accept(text);
            } catch (RuntimeException ignored) {
                // a listener's problem must not stop the tool's stderr from being read
            }
        }
        String kept = shorten(text, cut);
        if (WARNING.matcher(text).find() && warnings.size() < MAX_WARNINGS) {
            warnings.add(kept);
        }
        if (ToolErrors.isProblem(text)) {
            if (problems.size() < MAX_PROBLEM_LINES) {
                problems.add(kept);
            } else {
                problemsDropped++;
            }
        }
        recent.addLast(kept);
        if (recent.size() > RECENT_LINES) {
            recent.removeFirst();
        }
    }

    private static String shorten(String text, long bytesNotHeld) {
        if (text.length() <= MAX_LINE_CHARS && bytesNotHeld == 0) {
            return text;
        }
        int keep = Math.min(text.length(), MAX_LINE_CHARS);
        long more = text.length() - keep + bytesNotHeld;
        return text.substring(0, keep) + " ... [" + more + " more characters]";
    }

    /**
     * The tool's warnings (the first {@link #MAX_WARNINGS}): on a run that succeeded, what it says it left out
     * (pg_dump skips subscriptions for a non-superuser, saying so only here).
     */
    synchronized List<String> warnings() {
        return List.copyOf(warnings);
    }

    /**
     * What the tool said about its failure: its problem lines, else its last lines; never empty (a tool that wrote
     * nothing says so). Bounded: at most {@link #MAX_PROBLEM_LINES} + {@link #RECENT_LINES} lines of
     * {@link #MAX_LINE_CHARS}.
     */
    synchronized String diagnostic(String tool) {
        List<String> out = new ArrayList<>();
        if (!problems.isEmpty()) {
            out.addAll(problems);
            if (problemsDropped > 0) {
                out.add("[" + problemsDropped + " more problem lines not kept]");
            }
            // the last lines too, when they are not already among the problems (what the tool did last)
            for (String r : recent) {
                if (!problems.contains(r) && ToolErrors.isProblem(r)) {
                    out.add(r);
                }
            }
        } else {
            out.addAll(recent);
        }
        String text = String.join("\n", out).strip();
        if (text.isEmpty()) {
            return totalBytes == 0 ? tool + " wrote nothing to stderr" : tool + " wrote only blank lines to stderr";
        }
        return text;
    }
}
