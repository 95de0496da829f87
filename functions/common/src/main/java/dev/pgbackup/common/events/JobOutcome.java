package dev.pgbackup.common.events;

import dev.pgbackup.common.jobs.JobRecord;

/**
 * The detail of a job's event, as documented in docs/events.md: what a rule may match and a chat message may show.
 * Built from the job record's public fields only: never the diagnostic (a tool's own words, which can quote rows
 * and host names), never a secret.
 */
record JobOutcome(String app, String environment, String jobId, String filename, String trigger, String status,
        String message, Long bytes, Long durationMs, String finishedAt) {
    static final String SOURCE = "pgbackup";

    static JobOutcome of(String app, JobRecord job) {
        return new JobOutcome(app, job.environment(), job.jobId(), job.filename(), job.trigger(), job.status().name(),
                job.message(), job.bytes(), job.durationMs(),
                job.finishedAt() == null ? null : job.finishedAt().toString());
    }

    /** "Backup Succeeded", "Backup Failed", "Restore Succeeded" or "Restore Failed". */
    static String detailType(JobRecord job) {
        String what = job.type() == JobRecord.Type.BACKUP ? "Backup" : "Restore";
        return what + (job.status() == JobRecord.Status.SUCCEEDED ? " Succeeded" : " Failed");
    }
}
