package dev.pgbackup.restore.api;

import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobRunner;
import dev.pgbackup.common.jobs.JobStart;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.restore.RestoreRequest;
import java.time.Clock;

/**
 * Takes the environment's restore lock for an approved backup and hands the job to the restore worker. The
 * lock names the one file the job may restore; the worker runs nothing else.
 */
public final class RestoreStarter {
    /** How the start went, and the job of a stale lock this one replaced (for the audit line). */
    public record Started(JobStart start, Lock.Holder replacedStale) {}

    private final Config config;
    private final Lock lock;
    private final JobRunner runner;
    private final Clock clock;

    public RestoreStarter(Config config, Lock lock, JobRunner runner, Clock clock) {
        this.config = config;
        this.lock = lock;
        this.runner = runner;
        this.clock = clock;
    }

    public Started start(BackupObject backup, String subject, Deadline waitUntil) {
        return start(backup, subject, RestoreRequest.REPLACE, waitUntil);
    }

    /** As above, restoring as {@code request} says (over the database, or beside it). */
    public Started start(BackupObject backup, String subject, RestoreRequest request, Deadline waitUntil) {
        String jobId = JobStore.newJobId();
        Lock.Outcome taken = lock.acquire(jobId, subject, backup.filename());
        if (!taken.acquired()) {
            throw Failure.conflict("A restore of '" + config.environment() + "' is already running (job "
                    + taken.holder().jobId() + ")");
        }
        JobRecord job = request.on(JobRecord.started(jobId, JobRecord.Type.RESTORE, config.environment(),
                backup.filename(), subject, "api", clock.instant()));
        JobStart started;
        try {
            started = runner.startAndWait(job, config.restoreWorkerFunction(), new WorkerPayload(jobId,
                    config.environment(), backup.filename(), request.how(config.restoreMode()), request.tables(),
                    request.roles().encoded()),
                    waitUntil);
        } catch (RuntimeException e) {
            lock.release(jobId); // the job record could not even be written: no worker was invoked
            throw e;
        }
        if (started instanceof JobStart.NotLaunched) {
            lock.release(jobId); // no worker will ever release it
        }
        // LaunchUnknown keeps the lock: the worker may run, and it goes stale if it does not
        return new Started(started, taken.replacedStale());
    }
}
