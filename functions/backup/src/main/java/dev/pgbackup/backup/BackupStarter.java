package dev.pgbackup.backup;

import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobRunner;
import dev.pgbackup.common.jobs.JobStart;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.LastBackup;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import java.time.Clock;

/**
 * The API side of an on-demand backup: the name, the environment's backup lock (one backup at a time, so
 * no burst of requests runs pg_dump on the database in parallel), the job, and the worker.
 */
public final class BackupStarter {
    private final Config config;
    private final ObjectStore objects;
    private final BackupCatalog catalog;
    private final StateKeys keys;
    private final Lock lock;
    private final JobRunner runner;
    private final Clock clock;

    public BackupStarter(Config config, ObjectStore objects, BackupCatalog catalog, StateKeys keys, Lock lock,
            JobRunner runner, Clock clock) {
        this.config = config;
        this.objects = objects;
        this.catalog = catalog;
        this.keys = keys;
        this.lock = lock;
        this.runner = runner;
        this.clock = clock;
    }

    /** Starts the backup and waits until {@code waitUntil}; a refusal is a {@link Failure} (409, 422, 500). */
    public JobStart start(String subject, Deadline waitUntil) {
        objects.checkBucket();
        // the API has no connection to the database: the size its last backup saw (the worker checks the current one)
        lastDatabaseSize().ifPresent(bytes -> config.backupWindow().check(config.environment(), bytes,
                "pg_database_size at its last backup"));
        String filename = BackupName.create(config, clock.instant()).filename();
        if (catalog.find(filename).isPresent()) {
            // names have a one-second resolution and backups are never overwritten
            throw Failure.conflict("A backup named " + filename
                    + " already exists (another backup started this second); retry in a moment");
        }
        String jobId = JobStore.newJobId();
        Lock.Outcome taken = lock.acquire(jobId, subject, filename);
        if (!taken.acquired()) {
            throw Failure.conflict("A backup of '" + config.environment() + "' is already running (job "
                    + taken.holder().jobId() + "); follow it at /api/setting/jobs/" + taken.holder().jobId());
        }
        JobRecord job = JobRecord.started(jobId, JobRecord.Type.BACKUP, config.environment(), filename, subject, "api",
                clock.instant());
        JobStart started;
        try {
            started = runner.startAndWait(job, config.backupWorkerFunction(),
                    new WorkerPayload(jobId, config.environment(), filename, BackupClass.ON_DEMAND.key), waitUntil);
        } catch (RuntimeException e) {
            lock.release(jobId); // the job record could not even be written: no worker was invoked
            throw e;
        }
        if (started instanceof JobStart.NotLaunched) {
            lock.release(jobId); // no worker will ever release it
        }
        // LaunchUnknown keeps the lock: the worker may run, and it goes stale if it does not
        return started;
    }

    private java.util.Optional<Long> lastDatabaseSize() {
        try {
            return new Records(objects).read(keys.lastBackup(), LastBackup.class).map(LastBackup::databaseBytes);
        } catch (RuntimeException e) {
            return java.util.Optional.empty(); // unreadable: the worker still checks before pg_dump starts
        }
    }
}
