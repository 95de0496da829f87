package dev.pgbackup.common.worker;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.events.JobEvents;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.Lock;
import java.util.function.Consumer;

/**
 * How every worker ends a job it ran, whatever happened: the lock first (the next job may start as soon as the
 * outcome is visible), then the record; then the metric and the event, after the record, so the outcome is fixed
 * before anyone hears of it and no notice can change it; last the job's audit line. Each step runs even when one
 * before it failed.
 */
final class JobLifecycle {
    private final JobStore jobs;
    private final Lock lock;
    private final JobEvents events;
    private final Consumer<JobRecord> metric;
    private final Consumer<AuditLog.Entry> warnings;

    /**
     * {@code metric} writes the job's metric line; {@code warnings} adds what the audit line should warn of (a
     * connection without verified TLS); {@code events} is {@link JobEvents#OFF} for jobs that announce nothing.
     */
    JobLifecycle(JobStore jobs, Lock lock, JobEvents events, Consumer<JobRecord> metric,
            Consumer<AuditLog.Entry> warnings) {
        this.jobs = jobs;
        this.lock = lock;
        this.events = events;
        this.metric = metric;
        this.warnings = warnings;
    }

    /** Ends the job with {@code finished}, its final record; returns it. */
    JobRecord finish(JobRecord finished, AuditLog.Entry audit) {
        warnings.accept(audit);
        try {
            lock.release(finished.jobId()); // only if this job holds it: another job's lock is never touched
        } catch (RuntimeException e) {
            audit.with("lockReleaseError", e.getClass().getSimpleName()); // it goes stale instead
        } finally {
            try {
                jobs.save(finished);
            } finally {
                metric.accept(finished);
                events.publish(finished).addTo(audit);
                audit.with("message", finished.message()).with("bytes", finished.bytes())
                        .write(finished.status().name());
            }
        }
        return finished;
    }
}
