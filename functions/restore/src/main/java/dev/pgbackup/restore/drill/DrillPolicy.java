package dev.pgbackup.restore.drill;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.jobs.JobMetrics;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.common.worker.JobPolicy;
import dev.pgbackup.common.worker.JobTraits;
import java.time.Clock;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * How a drill differs from the other jobs, for one drill: it records itself RUNNING and then which backup it chose
 * (the newest), its lock is not renewed (it is stale only after the worker's own limit), it announces no event (its
 * alarm is the drill watch's), an Error is not recorded, and a success is noted as the last drill.
 */
final class DrillPolicy implements JobPolicy<DrillService.Outcome> {
    private static final JobTraits TRAITS = JobTraits.of("Restore drill");

    private final JobStore jobs;
    private final BackupCatalog catalog;
    private final Records records;
    private final StateKeys keys;
    private final JobMetrics metrics;
    private final Clock clock;
    private final Supplier<? extends Collection<String>> secrets;
    private BackupObject backup;

    DrillPolicy(JobStore jobs, BackupCatalog catalog, Records records, StateKeys keys, JobMetrics metrics, Clock clock,
            Supplier<? extends Collection<String>> secrets) {
        this.jobs = jobs;
        this.catalog = catalog;
        this.records = records;
        this.keys = keys;
        this.metrics = metrics;
        this.clock = clock;
        this.secrets = secrets;
    }

    /** The backup {@link #begin} chose. */
    BackupObject backup() {
        return backup;
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
    public void metric(JobRecord finished, DrillService.Outcome outcome) {
        metrics.drill(finished);
    }

    @Override
    public JobRecord begin(JobRecord job, AuditLog.Entry audit) {
        jobs.save(job);
        backup = DrillRules.newest(catalog.listMine(), job.environment())
                .orElseThrow(() -> DrillFailure.noBackup(job.environment())).backup();
        return JobRecord.started(job.jobId(), job.type(), job.environment(), backup.filename(), job.requestedBy(),
                job.trigger(), job.createdAt());
    }

    @Override
    public JobRecord succeeded(JobRecord job, DrillService.Outcome outcome, AuditLog.Entry audit) {
        audit.with("server", outcome.server()).with("scratch", outcome.scratch()).with("tables", outcome.tables())
                .with("rowCountsCompared", outcome.counted()).with("checksumVerified", outcome.checksumVerified())
                .with("pgRestore", outcome.pgRestoreVersion()).with("timings", outcome.timings());
        recordSuccess(job, outcome, audit);
        return job.succeeded(clock.instant(), outcome.bytes(), outcome.message(), outcome.details())
                .withTimings(outcome.timings());
    }

    /** What the drill watch compares with its limit; without it the alarm fires, the drill itself stands. */
    private void recordSuccess(JobRecord job, DrillService.Outcome outcome, AuditLog.Entry audit) {
        try {
            records.write(keys.lastDrill(), new LastDrill(job.jobId(), outcome.filename(), clock.instant(),
                    outcome.tables(), outcome.counted()));
        } catch (RuntimeException e) {
            audit.with("lastDrillNotRecorded", e.getClass().getSimpleName());
        }
    }
}
