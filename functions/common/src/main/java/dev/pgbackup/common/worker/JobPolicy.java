package dev.pgbackup.common.worker;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.jobs.JobRecord;
import java.util.Collection;

/**
 * What differs between job types once a worker has its job, said once per type instead of in three copies of the
 * lifecycle. {@code O} is what the type's service returns when the job succeeds.
 */
public interface JobPolicy<O> {
    /** How failures name the job and which of the shell's optional steps it takes: one line per type. */
    JobTraits traits();

    /** The values to scrub from a failure's diagnostic (the database passwords). */
    Collection<String> secrets();

    /** The job's metric line; {@code outcome} is null when the job did not succeed. */
    void metric(JobRecord finished, O outcome);

    /**
     * The record the job runs under; a new one is written before any work (a drill records which backup it chose).
     * A failure here fails the job like any other.
     */
    default JobRecord begin(JobRecord job, AuditLog.Entry audit) {
        return job;
    }

    /** The success record, after whatever success leaves behind; adds the outcome's facts to the audit line. */
    JobRecord succeeded(JobRecord job, O outcome, AuditLog.Entry audit);

    /** What a failure leaves behind besides its record (a restore that changed its target says so). */
    default void failed(JobRecord job, Throwable e) {}
}
