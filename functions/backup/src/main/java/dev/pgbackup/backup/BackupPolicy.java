package dev.pgbackup.backup;

import static dev.pgbackup.common.worker.JobTraits.Trait.ANNOUNCES;
import static dev.pgbackup.common.worker.JobTraits.Trait.COUNTS_REFUSALS;
import static dev.pgbackup.common.worker.JobTraits.Trait.RENEWS_LOCK;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.jobs.JobMetrics;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.worker.JobPolicy;
import dev.pgbackup.common.worker.JobTraits;
import java.time.Clock;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * How a backup job differs from the other jobs: its lock is renewed while pg_dump runs, its outcome is announced, an
 * Error is not recorded (the record goes stale, as it always has), and its metric carries the database's size.
 */
final class BackupPolicy implements JobPolicy<BackupService.Outcome> {
    private static final JobTraits TRAITS = JobTraits.of("Backup", RENEWS_LOCK, ANNOUNCES, COUNTS_REFUSALS);

    private final JobMetrics metrics;
    private final Clock clock;
    private final Supplier<? extends Collection<String>> secrets;

    BackupPolicy(JobMetrics metrics, Clock clock, Supplier<? extends Collection<String>> secrets) {
        this.metrics = metrics;
        this.clock = clock;
        this.secrets = secrets;
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
    public void metric(JobRecord finished, BackupService.Outcome outcome) {
        metrics.backup(finished, outcome == null ? JobMetrics.BackupFacts.NONE
                : new JobMetrics.BackupFacts(outcome.databaseBytes(), outcome.rowsCounted(), outcome.previousBytes()));
    }

    @Override
    public JobRecord succeeded(JobRecord job, BackupService.Outcome outcome, AuditLog.Entry audit) {
        JobRecord finished = job.succeeded(clock.instant(), outcome.bytes(),
                "Database backup created successfully: " + outcome.filename(),
                "pg_dump " + outcome.pgDumpVersion() + ", " + outcome.compression() + "; " + outcome.encryption()
                        + "; sha256 " + outcome.sha256()
                        + "; retention deleted "
                        + outcome.deleted().size()
                        + (outcome.scope().everything() ? "" : "; scope: " + outcome.scope().describe())
                        + (outcome.notes().isEmpty() ? "" : "; " + String.join("; ", outcome.notes())));
        audit.with("pgDump", outcome.pgDumpVersion()).with("compression", outcome.compression())
                .with("encryption", outcome.encryption())
                .with("sha256", outcome.sha256()).with("timings", outcome.timings())
                .with("retentionDeleted", outcome.deleted()).with("notes", outcome.notes())
                .with("scope", outcome.scope().everything() ? null : outcome.scope().describe())
                .with("credentialsReread", outcome.credentialRereads() > 0 ? true : null);
        return finished.withTimings(outcome.timings());
    }
}
