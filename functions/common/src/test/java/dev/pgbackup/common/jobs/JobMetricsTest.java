package dev.pgbackup.common.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.testsupport.MetricLines;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The metric line each kind of job writes, read back as CloudWatch reads Embedded Metric Format. */
class JobMetricsTest {
    static final Instant STARTED = Instant.parse("2026-11-28T10:00:00Z");
    static final Instant ENDED = STARTED.plusMillis(93_500);
    static final String FILE = "pharmatracker-staging-on-2026-11-28-at-03-30-00-PM-IST.dump";

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    // the clock of the test, not the job's end: a job's line is stamped with its own end
    final Clock clock = Clock.fixed(STARTED.plusSeconds(3600), ZoneOffset.UTC);
    final JobMetrics metrics = new JobMetrics(new AuditLog(new PrintStream(out, true, StandardCharsets.UTF_8)), clock,
            "pharmatracker", "staging");

    static JobRecord job(JobRecord.Type type, String trigger) {
        return JobRecord.started("job-1", type, "staging", FILE, "alice", trigger, STARTED);
    }

    /** The one line written, parsed. */
    JsonNode line() throws Exception {
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(1, lines.size(), "one line per job: " + lines);
        return Json.MAPPER.readTree(lines.get(0));
    }

    static Map<String, String> declared(JsonNode line) {
        return MetricLines.declared(line);
    }

    static List<List<String>> dimensions(JsonNode line) {
        return MetricLines.dimensions(line);
    }

    @Test
    void aSucceededBackupWritesItsSizeDurationDatabaseSizeRowsAndRatio() throws Exception {
        JobRecord done = job(JobRecord.Type.BACKUP, "schedule").succeeded(ENDED, 4_000L, "ok", null);

        metrics.backup(done, new JobMetrics.BackupFacts(52_000L, 12_345L, 5_000L));

        JsonNode line = line();
        assertEquals(ENDED.toEpochMilli(), line.at("/_aws/Timestamp").asLong());
        assertEquals(1, line.at("/_aws/CloudWatchMetrics").size());
        assertEquals("PgBackup", line.at("/_aws/CloudWatchMetrics/0/Namespace").asText());
        assertEquals(List.of(List.of("App", "Environment"), List.of("App", "Environment", "Trigger")),
                dimensions(line));
        assertEquals(Map.of("BackupSucceeded", "Count", "BackupDurationSeconds", "Seconds", "BackupBytes", "Bytes",
                "DatabaseSizeBytes", "Bytes", "RowsCounted", "Count", "BackupSizeRatio", "None"), declared(line));
        assertEquals("pharmatracker", line.get("App").asText());
        assertEquals("staging", line.get("Environment").asText());
        assertEquals("schedule", line.get("Trigger").asText());
        assertEquals(1, line.get("BackupSucceeded").asInt());
        assertEquals(93.5, line.get("BackupDurationSeconds").asDouble());
        assertEquals(4_000, line.get("BackupBytes").asLong());
        assertEquals(52_000, line.get("DatabaseSizeBytes").asLong());
        assertEquals(12_345, line.get("RowsCounted").asLong());
        assertEquals(0.8, line.get("BackupSizeRatio").asDouble(), 1e-12);
        assertEquals("job-1", line.get("jobId").asText(), "a log field to find the job by");
    }

    @Test
    void theFirstBackupOfItsClassHasNoRatioAndUnknownFactsAreLeftOut() throws Exception {
        JobRecord done = job(JobRecord.Type.BACKUP, "api").succeeded(ENDED, 4_000L, "ok", null);

        metrics.backup(done, new JobMetrics.BackupFacts(52_000L, null, null));

        JsonNode line = line();
        assertEquals(Map.of("BackupSucceeded", "Count", "BackupDurationSeconds", "Seconds", "BackupBytes", "Bytes",
                "DatabaseSizeBytes", "Bytes"), declared(line));
        assertFalse(line.has("BackupSizeRatio"));
        assertFalse(line.has("RowsCounted"));
        assertEquals("api", line.get("Trigger").asText());
    }

    @Test
    void aFailedBackupCountsAFailureAndItsDurationOnly() throws Exception {
        JobRecord failed = job(JobRecord.Type.BACKUP, "refresh").failed(ENDED, "Backup failed", null);

        metrics.backup(failed, new JobMetrics.BackupFacts(52_000L, 10L, 5_000L));

        JsonNode line = line();
        assertEquals(Map.of("BackupFailed", "Count", "BackupDurationSeconds", "Seconds"), declared(line));
        assertEquals(1, line.get("BackupFailed").asInt());
        assertEquals("refresh", line.get("Trigger").asText());
        assertFalse(line.has("BackupBytes"));
    }

    @Test
    void restoresAndDrillsWriteTheirOwnNames() throws Exception {
        metrics.restore(job(JobRecord.Type.RESTORE, "api").succeeded(ENDED, 4_000L, "ok", null));
        metrics.restore(job(JobRecord.Type.RESTORE, "schedule").failed(ENDED, "no", null));
        metrics.drill(job(JobRecord.Type.DRILL, "schedule").succeeded(ENDED, 4_000L, "ok", null));
        List<JsonNode> lines = new ArrayList<>();
        for (String l : out.toString(StandardCharsets.UTF_8).lines().toList()) {
            lines.add(Json.MAPPER.readTree(l));
        }

        assertEquals(3, lines.size());
        assertEquals(Map.of("RestoreSucceeded", "Count", "RestoreDurationSeconds", "Seconds", "RestoreBytes", "Bytes"),
                declared(lines.get(0)));
        assertEquals(4_000, lines.get(0).get("RestoreBytes").asLong());
        assertEquals(Map.of("RestoreFailed", "Count", "RestoreDurationSeconds", "Seconds"), declared(lines.get(1)));
        assertEquals("schedule", lines.get(1).get("Trigger").asText());
        assertEquals(Map.of("DrillSucceeded", "Count", "DrillDurationSeconds", "Seconds"), declared(lines.get(2)));
        assertEquals(93.5, lines.get(2).get("DrillDurationSeconds").asDouble());
        lines.forEach(l -> assertEquals(ENDED.toEpochMilli(), l.at("/_aws/Timestamp").asLong()));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("\"Environment\":\"staging\",\"DrillSucceeded\":1"),
                "the outcome right after the environment, where log queries written for the older lines look");
    }

    @Test
    void theDrillWatchSignalIsPerEnvironmentOnlyAtTheClocksTime() throws Exception {
        metrics.signal(JobMetrics.Metric.DRILL_UP_TO_DATE);

        JsonNode line = line();
        assertEquals(clock.instant().toEpochMilli(), line.at("/_aws/Timestamp").asLong());
        assertEquals(List.of(List.of("App", "Environment")), dimensions(line));
        assertEquals(Map.of("DrillUpToDate", "Count"), declared(line));
        assertFalse(line.has("Trigger"));
        assertEquals(1, line.get("DrillUpToDate").asInt());
    }

    @Test
    void aJobsMetricIsNoSignal() {
        assertThrows(IllegalArgumentException.class, () -> metrics.signal(JobMetrics.Metric.BACKUP_SUCCEEDED));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theRatioNeedsBothSizes() {
        assertEquals(0.5, JobMetrics.ratio(50L, 100L));
        assertEquals(null, JobMetrics.ratio(50L, null));
        assertEquals(null, JobMetrics.ratio(50L, 0L));
        assertEquals(null, JobMetrics.ratio(null, 100L));
    }
}
