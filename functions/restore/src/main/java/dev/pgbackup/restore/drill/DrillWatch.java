package dev.pgbackup.restore.drill;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.jobs.JobMetrics;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The drills' alarm signal. CloudWatch evaluates an alarm over at most seven days, too short to see "no drill
 * succeeded in eight days" of a weekly drill in DrillSucceeded itself; so this check, run a few times a day by its
 * own schedule, emits {@code DrillUpToDate} while the newest successful drill is younger than the limit, and the
 * alarm fires when that metric stops (an overdue drill, or a watch that no longer runs).
 */
final class DrillWatch {
    static final JobMetrics.Metric METRIC = JobMetrics.Metric.DRILL_UP_TO_DATE;

    private final Records records;
    private final StateKeys keys;
    private final Duration limit;
    private final AuditLog audit;
    private final JobMetrics metrics;
    private final Clock clock;

    DrillWatch(Records records, StateKeys keys, Duration limit, AuditLog audit, JobMetrics metrics, Clock clock) {
        this.records = records;
        this.keys = keys;
        this.limit = limit;
        this.audit = audit;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Whether a drill younger than the limit succeeded; a drill that never ran is overdue. */
    static boolean upToDate(Optional<LastDrill> last, Instant now, Duration limit) {
        return last.isPresent() && last.get().succeededAt() != null
                && last.get().succeededAt().plus(limit).isAfter(now);
    }

    Map<String, Object> check() {
        AuditLog.Entry entry = audit.entry("restore.drill.watch").with("environment", keys.environment())
                .with("limitDays", limit.toDays());
        Optional<LastDrill> last;
        try {
            last = records.read(keys.lastDrill(), LastDrill.class);
        } catch (RuntimeException e) {
            // no metric: the alarm fires if this keeps happening
            entry.with("error", e.getClass().getSimpleName()).write("FAILED");
            return Map.of("status", "FAILED");
        }
        boolean upToDate = upToDate(last, clock.instant(), limit);
        if (upToDate) {
            metrics.signal(METRIC);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("status", upToDate ? "UP_TO_DATE" : "OVERDUE");
        last.ifPresent(l -> {
            result.put("lastDrillSucceededAt", String.valueOf(l.succeededAt()));
            result.put("filename", l.filename());
            entry.with("lastDrillSucceededAt", String.valueOf(l.succeededAt())).with("filename", l.filename());
        });
        entry.write((String) result.get("status"));
        return result;
    }
}
