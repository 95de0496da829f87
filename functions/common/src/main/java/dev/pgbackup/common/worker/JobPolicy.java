package dev.pgbackup.common.worker;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.jobs.JobRecord;
import java.util.Collection;

/**
 * What differs between job types once a worker has its job, said once per type instead of in three copies of the
 * lifecycle. {@code O} is what the type's service returns when the job succeeds.
 */
public interface JobPolicy<O> {
    /** How an unexpected fault's message names the job: "Backup", "Restore", "Restore drill". */
    String what();

    /** Whether the job's lock is renewed while it runs; without it the lock's own staleness must outlast the job. */
    boolean renewsLock();

    /** Whether the job's outcome is announced as an event (drills: no, their alarm is the drill watch's). */
    boolean announces();

    /**
     * Whether an {@link Error} (out of memory, a broken class) is recorded FAILED, lock released, before it goes on;
     * otherwise the record stays RUNNING until the job store reports it dead and the lock goes stale.
     */
    boolean recordsErrors();

    /** Whether a job refused before it ran ({@link JobShell#refuse}) writes the type's metric. */
    boolean countsRefusals();

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
    default void failed(JobRecord job, Throwable e) {
    }
}
