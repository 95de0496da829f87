package dev.pgbackup.restore;

import static dev.pgbackup.common.worker.JobTraits.Trait.ANNOUNCES;
import static dev.pgbackup.common.worker.JobTraits.Trait.COUNTS_REFUSALS;
import static dev.pgbackup.common.worker.JobTraits.Trait.RECORDS_ERRORS;
import static dev.pgbackup.common.worker.JobTraits.Trait.RENEWS_LOCK;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.jobs.JobMetrics;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.LastRestore;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.common.worker.JobPolicy;
import dev.pgbackup.common.worker.JobTraits;
import java.time.Clock;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * How a restore job differs from the other jobs: its lock is renewed while it runs, its outcome is announced, an
 * Error is recorded FAILED (lock released) before it goes on, and whatever changed the target is noted as the last
 * restore, so that the next restore first takes a safety backup.
 */
final class RestorePolicy implements JobPolicy<RestoreService.Outcome> {
    /** COUNTS_REFUSALS is not asked: a refused restore ends through {@code finish}, which always writes the metric. */
    private static final JobTraits TRAITS = JobTraits.of("Restore", RENEWS_LOCK, ANNOUNCES, RECORDS_ERRORS,
            COUNTS_REFUSALS);

    private final Records records;
    private final StateKeys keys;
    private final AuditLog audit;
    private final JobMetrics metrics;
    private final Clock clock;
    private final int copiesToKeep;
    private final Supplier<? extends Collection<String>> secrets;

    RestorePolicy(Records records, StateKeys keys, AuditLog audit, JobMetrics metrics, Clock clock, int copiesToKeep,
            Supplier<? extends Collection<String>> secrets) {
        this.records = records;
        this.keys = keys;
        this.audit = audit;
        this.metrics = metrics;
        this.clock = clock;
        this.copiesToKeep = copiesToKeep;
        this.secrets = secrets;
    }

    @Override
    public JobTraits traits() {
        return TRAITS;
    }

    @Override
    public Collection<String> secrets() {
        return secrets.get();
    }

    @Override
    public void metric(JobRecord finished, RestoreService.Outcome outcome) {
        metrics.restore(finished);
    }

    @Override
    public JobRecord succeeded(JobRecord job, RestoreService.Outcome outcome, AuditLog.Entry line) {
        if (!outcome.beside()) {
            recordChange(job); // a copy replaces nothing: the next restore's way back is still the same backup
        }
        for (String copy : outcome.droppedCopies()) {
            // one line per database dropped: an operator looking for a vanished copy finds who dropped it and why
            audit.entry("restore.copy.drop").with("jobId", job.jobId()).with("database", copy)
                    .with("target", outcome.database()).with("reason", "more than PreRestoreCopiesToKeep ("
                            + copiesToKeep + ") pre-restore copies of the target")
                    .write("DROPPED");
        }
        line.with("database", outcome.database()).with("preRestoreCopy", outcome.preRestoreCopy())
                .with("preRestoreCopyKept", outcome.preRestoreCopyKept())
                .with("pgRestore", outcome.pgRestoreVersion()).with("pgRestoreMs", outcome.pgRestoreMillis())
                .with("checksumVerified", outcome.checksumVerified()).with("jobs", outcome.jobs())
                .with("timings", outcome.timings()).with("leftOut", outcome.leftOut())
                .with("credentialsReread", outcome.credentialRereads() > 0 ? true : null)
                .with("copy", outcome.copy()).with("sanitized", outcome.sanitized())
                .with("rolesCreated", outcome.rolesCreated().isEmpty() ? null : outcome.rolesCreated());
        JobRecord done = job.succeeded(clock.instant(), outcome.bytes(), message(outcome), outcome.details())
                .withTimings(outcome.timings());
        return outcome.beside() ? done.withDatabase(outcome.copy()) : done;
    }

    /**
     * Every step that touches the target turns its failures into a RestoreFailure saying how it left it; anything
     * else stopped before (or is an Error, after which nothing is known).
     */
    @Override
    public void failed(JobRecord job, Throwable e) {
        boolean changed = e instanceof RestoreFailure r ? r.state() != RestoreFailure.TargetState.UNCHANGED
                : e instanceof Error;
        if (changed) {
            recordChange(job); // the next restore needs a safety backup taken after this one
        }
    }

    /** The seed's message for a restore over the database; a copy's also says where it went. */
    static String message(RestoreService.Outcome outcome) {
        String left = outcome.leftOut() == null ? "" : " (" + outcome.leftOut() + ")";
        if (!outcome.beside()) {
            return "Database restored successfully from backup: " + outcome.filename() + left;
        }
        return "Database restored successfully from backup: " + outcome.filename() + " into the new database '"
                + outcome.copy() + "' beside '" + outcome.database() + "'"
                + (outcome.tables() == null ? "" : " (tables " + String.join(", ", outcome.tables()) + ")") + left;
    }

    private void recordChange(JobRecord job) {
        try {
            records.write(keys.lastRestore(), new LastRestore(job.jobId(), job.filename(), clock.instant()));
        } catch (RuntimeException e) {
            // without it the next restore's safety check is the 5-minute window alone, as before
        }
    }
}
