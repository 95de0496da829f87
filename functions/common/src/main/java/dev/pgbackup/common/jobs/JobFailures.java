package dev.pgbackup.common.jobs;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.failure.Failure;
import java.time.Instant;
import java.util.Collection;

/** The one mapping from whatever stopped a job to its FAILED record: a caller-safe message, scrubbed detail apart. */
public final class JobFailures {
    private JobFailures() {}

    /**
     * @param what    "Backup" or "Restore", for unexpected faults
     * @param secrets values to scrub from the diagnostic (the database password)
     */
    public static JobRecord failed(JobRecord job, Throwable e, Instant now, String what, Collection<String> secrets) {
        if (e instanceof Failure f) {
            return job.failed(now, f.getMessage(), Redactor.scrub(f.diagnostic(), secrets), f.kind().name());
        }
        // unexpected: the class for the operator, the text only scrubbed and only in the record and log
        return job.failed(now, what + " failed: " + e.getClass().getSimpleName() + " (details in job " + job.jobId()
                + " of the " + job.environment() + " logs)", Redactor.scrub(String.valueOf(e.getMessage()), secrets));
    }
}
