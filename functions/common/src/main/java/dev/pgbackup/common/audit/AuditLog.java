package dev.pgbackup.common.audit;

import dev.pgbackup.common.Json;
import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One structured JSON line per request and per job outcome, so CloudWatch Logs Insights can answer
 * "who restored what, when, and did it work". Values are scrubbed: a secret never reaches a log line.
 */
public final class AuditLog {
    private final PrintStream out;

    public AuditLog() {
        this(System.out);
    }

    public AuditLog(PrintStream out) {
        this.out = out;
    }

    /** A metric line as it is (dev.pgbackup.common.jobs.JobMetrics): numbers and names only, never a secret. */
    public void metricLine(Map<String, Object> line) {
        out.println(Json.write(line));
    }

    public Entry entry(String action) {
        return new Entry(action);
    }

    public final class Entry {
        private final Map<String, Object> fields = new LinkedHashMap<>();
        private final long startNanos = System.nanoTime();

        private Entry(String action) {
            fields.put("audit", true);
            fields.put("time", Instant.now().toString());
            fields.put("action", action);
        }

        public Entry with(String key, Object value) {
            if (value != null) {
                fields.put(key, value instanceof String s ? Redactor.scrub(s, java.util.List.of()) : value);
            }
            return this;
        }

        public void write(String result) {
            fields.put("result", result);
            fields.put("durationMs", (System.nanoTime() - startNanos) / 1_000_000);
            out.println(Json.write(fields));
        }
    }
}
