package dev.pgbackup.common.jobs;

import dev.pgbackup.common.audit.AuditLog;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A finished job's numbers as CloudWatch metrics: one log line per job in Embedded Metric Format, which Lambda's log
 * pipeline turns into data points (no PutMetricData call, no permission). Every job metric is written under two
 * dimension sets: [App, Environment], which the alarms watch, and [App, Environment, Trigger], which tells a
 * scheduled backup from one the API or a refresh started. template.yaml's alarms and dashboard name only what
 * {@link Metric} declares (a test holds them to it).
 */
public final class JobMetrics {
    public static final String NAMESPACE = "PgBackup";
    public static final String APP = "App";
    public static final String ENVIRONMENT = "Environment";
    static final String TRIGGER = "Trigger";
    static final List<String> BY_ENVIRONMENT = List.of(APP, ENVIRONMENT);
    static final List<String> BY_TRIGGER = List.of(APP, ENVIRONMENT, TRIGGER);

    /** Every metric the code writes, with its CloudWatch unit; {@code perTrigger} ones also carry the Trigger set. */
    public enum Metric {
        BACKUP_SUCCEEDED("BackupSucceeded", "Count"), BACKUP_FAILED("BackupFailed", "Count"), BACKUP_BYTES(
                "BackupBytes",
                "Bytes"), BACKUP_DURATION("BackupDurationSeconds", "Seconds"), DATABASE_SIZE("DatabaseSizeBytes",
                        "Bytes"), ROWS_COUNTED("RowsCounted", "Count"), BACKUP_SIZE_RATIO("BackupSizeRatio",
                                "None"), RESTORE_SUCCEEDED("RestoreSucceeded", "Count"), RESTORE_FAILED("RestoreFailed",
                                        "Count"), RESTORE_BYTES("RestoreBytes", "Bytes"), RESTORE_DURATION(
                                                "RestoreDurationSeconds", "Seconds"), DRILL_SUCCEEDED("DrillSucceeded",
                                                        "Count"), DRILL_FAILED("DrillFailed", "Count"), DRILL_DURATION(
                                                                "DrillDurationSeconds", "Seconds"),
        /** The drill watch's signal, not a job's: [App, Environment] only. */
        DRILL_UP_TO_DATE("DrillUpToDate", "Count", false);

        public final String metricName;
        public final String unit;
        public final boolean perTrigger;

        Metric(String metricName, String unit) {
            this(metricName, unit, true);
        }

        Metric(String metricName, String unit, boolean perTrigger) {
            this.metricName = metricName;
            this.unit = unit;
            this.perTrigger = perTrigger;
        }

        /** The dimension sets this metric is written with. */
        public List<List<String>> dimensions() {
            return perTrigger ? List.of(BY_ENVIRONMENT, BY_TRIGGER) : List.of(BY_ENVIRONMENT);
        }
    }

    /**
     * What a backup knows beyond its job record, each null when unknown: {@code pg_database_size} at its start, the
     * rows it counted in its snapshot, and the size of the previous backup of its class in this environment.
     */
    public record BackupFacts(Long databaseBytes, Long rowsCounted, Long previousBytes) {
        public static final BackupFacts NONE = new BackupFacts(null, null, null);
    }

    private final AuditLog log;
    private final Clock clock;
    private final String app;
    private final String environment;

    public JobMetrics(AuditLog log, Clock clock, String app, String environment) {
        this.log = log;
        this.clock = clock;
        this.app = app;
        this.environment = environment;
    }

    /** A finished backup: its outcome count, duration and, when it succeeded, its size and what it measured. */
    public void backup(JobRecord finished, BackupFacts facts) {
        Line line = new Line(finished);
        boolean ok = finished.status() == JobRecord.Status.SUCCEEDED;
        line.put(ok ? Metric.BACKUP_SUCCEEDED : Metric.BACKUP_FAILED, 1);
        line.put(Metric.BACKUP_DURATION, seconds(finished));
        if (ok) {
            line.put(Metric.BACKUP_BYTES, finished.bytes());
            line.put(Metric.DATABASE_SIZE, facts.databaseBytes());
            line.put(Metric.ROWS_COUNTED, facts.rowsCounted());
            line.put(Metric.BACKUP_SIZE_RATIO, ratio(finished.bytes(), facts.previousBytes()));
        }
        line.write();
    }

    /** A finished restore: its outcome count, duration and, when it succeeded, the archive's bytes it restored. */
    public void restore(JobRecord finished) {
        Line line = new Line(finished);
        boolean ok = finished.status() == JobRecord.Status.SUCCEEDED;
        line.put(ok ? Metric.RESTORE_SUCCEEDED : Metric.RESTORE_FAILED, 1);
        line.put(Metric.RESTORE_DURATION, seconds(finished));
        if (ok) {
            line.put(Metric.RESTORE_BYTES, finished.bytes());
        }
        line.write();
    }

    /** A finished restore drill: its outcome count and duration. */
    public void drill(JobRecord finished) {
        Line line = new Line(finished);
        line.put(finished.status() == JobRecord.Status.SUCCEEDED ? Metric.DRILL_SUCCEEDED : Metric.DRILL_FAILED, 1);
        line.put(Metric.DRILL_DURATION, seconds(finished));
        line.write();
    }

    /** A signal that is no job's (the drill watch's): a count of one under [App, Environment], now. */
    public void signal(Metric metric) {
        if (metric.perTrigger) {
            throw new IllegalArgumentException(metric.metricName + " is a job's metric: it needs the job's trigger");
        }
        Line line = new Line(clock.instant(), null, null, metric.dimensions());
        line.put(metric, 1);
        line.write();
    }

    /** This backup's size over the previous one's of its class; none without a previous one to compare with. */
    static Double ratio(Long bytes, Long previousBytes) {
        if (bytes == null || previousBytes == null || previousBytes <= 0) {
            return null;
        }
        return (double) bytes / previousBytes;
    }

    private static Double seconds(JobRecord finished) {
        return finished.durationMs() == null ? null : finished.durationMs() / 1000.0;
    }

    /** One EMF line being built: the values are top-level members, each named in the directive's Metrics. */
    private final class Line {
        private final Instant at;
        private final String trigger;
        private final String jobId;
        private final List<List<String>> dimensions;
        private final List<Map<String, Object>> declared = new ArrayList<>();
        private final Map<String, Object> values = new LinkedHashMap<>();

        Line(JobRecord job) {
            // the job's own end, from the job's clock: the point lands where the job did
            this(job.finishedAt() != null ? job.finishedAt() : clock.instant(),
                    job.trigger() == null ? "unknown" : job.trigger(), job.jobId(),
                    List.of(BY_ENVIRONMENT, BY_TRIGGER));
        }

        Line(Instant at, String trigger, String jobId, List<List<String>> dimensions) {
            this.at = at;
            this.trigger = trigger;
            this.jobId = jobId;
            this.dimensions = dimensions;
        }

        void put(Metric metric, Number value) {
            if (value != null) {
                Map<String, Object> definition = new LinkedHashMap<>();
                definition.put("Name", metric.metricName);
                definition.put("Unit", metric.unit);
                declared.add(definition);
                values.put(metric.metricName, value);
            }
        }

        void write() {
            Map<String, Object> line = new LinkedHashMap<>();
            Map<String, Object> directive = new LinkedHashMap<>();
            directive.put("Namespace", NAMESPACE);
            directive.put("Dimensions", dimensions);
            directive.put("Metrics", declared);
            Map<String, Object> aws = new LinkedHashMap<>();
            aws.put("Timestamp", at.toEpochMilli());
            aws.put("CloudWatchMetrics", List.of(directive));
            line.put("_aws", aws);
            line.put(APP, app);
            line.put(ENVIRONMENT, environment);
            // the values right after the environment, as the lines before the Trigger dimension had them
            line.putAll(values);
            if (trigger != null) {
                line.put(TRIGGER, trigger);
            }
            if (jobId != null) {
                line.put("jobId", jobId); // not a metric: a log field, to find the job's audit line
            }
            log.metricLine(line);
        }
    }
}
