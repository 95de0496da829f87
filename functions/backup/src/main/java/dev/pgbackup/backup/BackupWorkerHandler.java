package dev.pgbackup.backup;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.pgbackup.common.AuditLog;
import dev.pgbackup.common.BackupName;
import dev.pgbackup.common.BucketUnavailableException;
import dev.pgbackup.common.JobRecord;
import dev.pgbackup.common.JobStore;
import dev.pgbackup.common.PgTools;
import dev.pgbackup.common.Redactor;
import dev.pgbackup.common.Services;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The backup worker: invoked asynchronously by the API with {@code {"jobId": ...}}, or by the EventBridge
 * schedule with a Scheduled Event. Always ends by writing the job's outcome and one audit line.
 */
public class BackupWorkerHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    /** Time kept back from Lambda's hard limit to kill pg_dump, abort the upload and record the failure. */
    static final long SAFETY_MARGIN_MS = 45_000;

    private final Services services;
    private final BackupService backups;

    public BackupWorkerHandler() {
        this(Services.fromEnvironment());
    }

    public BackupWorkerHandler(Services services) {
        this.services = services;
        this.backups = new BackupService(services);
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Instant now = services.clock.instant();
        Optional<JobRecord> found = jobFor(event, now);
        if (found.isEmpty()) {
            services.audit.entry("backup.job").with("event", "ignored").write("IGNORED");
            return Map.of("status", "IGNORED");
        }
        JobRecord job = found.get();
        AuditLog.Entry audit = services.audit.entry("backup.job")
                .with("jobId", job.jobId())
                .with("subject", job.requestedBy())
                .with("trigger", job.trigger())
                .with("environment", job.environment())
                .with("filename", job.filename());
        Instant deadline = now.plusMillis(Math.max(1000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS));
        JobRecord finished;
        try {
            BackupService.Outcome outcome = backups.run(job.filename(), deadline);
            finished = job.succeeded(services.clock.instant(), outcome.bytes(),
                    "Database backup created successfully: " + outcome.filename(),
                    "pg_dump " + outcome.pgDumpVersion() + "; retention deleted " + outcome.deleted().size()
                            + (outcome.notes().isEmpty() ? "" : "; " + String.join("; ", outcome.notes())));
            audit.with("bytes", outcome.bytes()).with("pgDump", outcome.pgDumpVersion())
                    .with("retentionDeleted", outcome.deleted()).with("notes", outcome.notes());
        } catch (BucketUnavailableException | PgTools.PgToolsException | BackupService.BackupFailedException e) {
            finished = job.failed(services.clock.instant(), e.getMessage());
        } catch (RuntimeException e) {
            // unexpected: keep the class for the operator, never a raw message that might carry a secret
            finished = job.failed(services.clock.instant(), "Backup failed: " + e.getClass().getSimpleName()
                    + ": " + Redactor.scrub(String.valueOf(e.getMessage()), services.databaseSecrets()));
        }
        services.jobs.save(finished);
        services.audit.metric(finished.status() == JobRecord.Status.SUCCEEDED ? "BackupSucceeded" : "BackupFailed",
                services.config.appName(), services.config.environment());
        audit.with("message", finished.message()).with("bytes", finished.bytes()).write(finished.status().name());
        return Services.workerResult(finished);
    }

    /** The job to run: the API's (if still RUNNING: never redo a finished one) or a new scheduled one. */
    private Optional<JobRecord> jobFor(Map<String, Object> event, Instant now) {
        Object jobId = event == null ? null : event.get("jobId");
        if (jobId instanceof String id) {
            return services.jobs.find(id)
                    .filter(j -> !j.finished() && j.type() == JobRecord.Type.BACKUP)
                    .filter(j -> services.jobs.claim(j.jobId()));
        }
        if (event != null && "aws.events".equals(event.get("source"))) {
            JobRecord job = JobRecord.started(JobStore.newJobId(), JobRecord.Type.BACKUP,
                    services.config.environment(), BackupName.create(services.config, now).filename(),
                    "schedule", "schedule", now);
            services.jobs.save(job);
            return Optional.of(job);
        }
        return Optional.empty();
    }
}
