package dev.pgbackup.common.worker;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.jobs.WorkerPayload;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The checks every job the API started passes before its worker may claim it: the payload is for this environment,
 * names a job of this type still running, agrees with the record this environment wrote (how is the job type's own
 * rule), and the job holds the lock for exactly that file. Each job type words its refusals itself.
 */
public final class PayloadCheck {
    /** What the checks found, in the order they run; only an {@link Found#ACCEPTED} job may be claimed. */
    public enum Found {
        /** The payload is for another environment: nothing of this one is touched. */
        OTHER_ENVIRONMENT,
        /** No job of this type with that id is running here (unknown or finished). */
        NOT_RUNNING,
        /** The record and the payload disagree. */
        DISAGREES,
        /** The job does not hold the lock for its file (another job may be running). */
        LOCK_NOT_HELD,
        /** Every check passed. */
        ACCEPTED
    }

    /** {@code job}: the job record, when there is one running here (null for the first two). */
    public record Verdict(Found found, JobRecord job) {}

    private final String environment;
    private final JobStore jobs;
    private final Lock lock;
    private final JobRecord.Type type;

    public PayloadCheck(String environment, JobStore jobs, Lock lock, JobRecord.Type type) {
        this.environment = environment;
        this.jobs = jobs;
        this.lock = lock;
        this.type = type;
    }

    /** {@code agrees}: the type's rule that the payload matches the job record, beyond the file both name. */
    public Verdict check(WorkerPayload payload, Predicate<JobRecord> agrees) {
        if (!payload.environment().equals(environment)) {
            return new Verdict(Found.OTHER_ENVIRONMENT, null);
        }
        Optional<JobRecord> found = jobs.find(payload.jobId()).filter(j -> !j.finished() && j.type() == type);
        if (found.isEmpty()) {
            return new Verdict(Found.NOT_RUNNING, null);
        }
        JobRecord job = found.get();
        if (!payload.filename().equals(job.filename()) || !agrees.test(job)) {
            return new Verdict(Found.DISAGREES, job);
        }
        boolean holds = lock.holder().filter(h -> job.jobId().equals(h.jobId()) && job.filename().equals(h.filename()))
                .isPresent();
        return new Verdict(holds ? Found.ACCEPTED : Found.LOCK_NOT_HELD, job);
    }
}
