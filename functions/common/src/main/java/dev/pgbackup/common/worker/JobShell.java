package dev.pgbackup.common.worker;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.events.JobEvents;
import dev.pgbackup.common.jobs.JobFailures;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.jobs.LockHeartbeat;
import dev.pgbackup.common.jobs.ProgressReporter;
import java.time.Clock;
import java.util.function.Consumer;

/**
 * Every worker's job once it is claimed and holds its lock: run the type's service with a progress reporter (and the
 * lock renewed, if the type asks), turn the outcome or the failure into the final record, and end the job with
 * {@link JobLifecycle#finish}. What differs per job type is its {@link JobPolicy}; the handlers keep only accepting
 * the event and wiring.
 */
public final class JobShell {
    /** The type's service, run for the job; it reports progress and may throw a Failure. */
    @FunctionalInterface
    public interface Work<O> {
        O run(JobRecord job, ProgressReporter progress);
    }

    private final JobStore jobs;
    private final Lock lock;
    private final JobEvents events;
    private final Consumer<AuditLog.Entry> warnings;
    private final Clock clock;

    public JobShell(JobStore jobs, Lock lock, JobEvents events, Consumer<AuditLog.Entry> warnings, Clock clock) {
        this.jobs = jobs;
        this.lock = lock;
        this.events = events;
        this.warnings = warnings;
        this.clock = clock;
    }

    /** Runs {@code job} and ends it, whatever happened; returns its final record. */
    public <O> JobRecord run(JobRecord job, AuditLog.Entry audit, JobPolicy<O> policy, Work<O> work) {
        JobRecord current = job;
        O outcome = null;
        JobRecord finished;
        try {
            current = policy.begin(job, audit);
            if (current != job) {
                jobs.save(current);
            }
            // the heartbeat stops before finish() releases the lock; until then the lock cannot go stale under the job
            LockHeartbeat renewal = policy.traits().renewsLock()
                    ? LockHeartbeat.start(lock, job.jobId(), LockHeartbeat.EVERY) : null;
            try (renewal; ProgressReporter progress = new ProgressReporter(jobs, current, clock)) {
                outcome = work.run(current, progress);
            }
            finished = policy.succeeded(current, outcome, audit);
        } catch (RuntimeException | Error e) {
            if (e instanceof Error && !policy.traits().recordsErrors()) {
                throw e;
            }
            outcome = null;
            policy.failed(current, e);
            finished = JobFailures.failed(current, e, clock.instant(), policy.traits().what(), policy.secrets());
            audit.with("diagnostic", finished.diagnostic());
            if (e instanceof Error error) {
                finish(finished, audit, policy, null);
                throw error;
            }
        }
        return finish(finished, audit, policy, outcome);
    }

    /**
     * Records a job refused before it ran because another job holds the lock it needed (so there is no lock to
     * release): the record, the metric if the type counts refusals, then, even if those failed, the event and the
     * REFUSED audit line.
     */
    public <O> JobRecord refuse(JobRecord refused, AuditLog.Entry audit, JobPolicy<O> policy) {
        try {
            jobs.save(refused);
            if (policy.traits().countsRefusals()) {
                policy.metric(refused, null);
            }
        } finally {
            (policy.traits().announces() ? events : JobEvents.OFF).publish(refused).addTo(audit);
            audit.write("REFUSED");
        }
        return refused;
    }

    /** Ends a job that did not run (refused, or not claimable) the way a job that ran ends. */
    public <O> JobRecord finish(JobRecord finished, AuditLog.Entry audit, JobPolicy<O> policy) {
        return finish(finished, audit, policy, null);
    }

    private <O> JobRecord finish(JobRecord finished, AuditLog.Entry audit, JobPolicy<O> policy, O outcome) {
        return new JobLifecycle(jobs, lock, policy.traits().announces() ? events : JobEvents.OFF,
                f -> policy.metric(f, outcome), warnings).finish(finished, audit);
    }
}
