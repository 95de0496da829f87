package dev.pgbackup.restore;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.pgbackup.common.AuditLog;
import dev.pgbackup.common.BucketUnavailableException;
import dev.pgbackup.common.JobRecord;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.PgTools;
import dev.pgbackup.common.Redactor;
import dev.pgbackup.common.Services;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The restore worker, invoked asynchronously by the restore API with {@code {"jobId": ...}} (reserved
 * concurrency 1, no retries). Runs a job only while it is RUNNING, only once (a claim object makes a
 * duplicate delivery of the same event a no-op), and only while the job holds the environment's restore
 * lock. However it ends, it releases the lock, writes the job's outcome and one audit line.
 */
public class RestoreWorkerHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    /** Time kept back from Lambda's hard limit to kill pg_restore, drop the half-built database and report. */
    static final long SAFETY_MARGIN_MS = 45_000;

    private final Services services;
    private final RestoreService restores;
    private final RestoreLock lock;

    public RestoreWorkerHandler() {
        this(Services.fromEnvironment());
    }

    public RestoreWorkerHandler(Services services) {
        this.services = services;
        this.restores = new RestoreService(services);
        this.lock = new RestoreLock(services.store, services.config, services.clock);
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Instant now = services.clock.instant();
        Object id = event == null ? null : event.get("jobId");
        Optional<JobRecord> found = id instanceof String jobId
                ? services.jobs.find(jobId).filter(j -> !j.finished() && j.type() == JobRecord.Type.RESTORE)
                : Optional.empty();
        if (found.isEmpty()) {
            services.audit.entry("restore.job").with("jobId", id instanceof String s ? s : null)
                    .with("reason", "no running restore job with that id").write("IGNORED");
            return Map.of("status", "IGNORED");
        }
        JobRecord job = found.get();
        String claim = RestoreLock.claimKey(services.config, job.jobId());
        if (!services.store.createIfAbsent(claim, Json.write(Map.of("jobId", job.jobId(), "claimedAt", now.toString())))) {
            services.audit.entry("restore.job").with("jobId", job.jobId())
                    .with("reason", "already claimed by another invocation").write("IGNORED");
            return Map.of("status", "IGNORED", "jobId", job.jobId());
        }
        AuditLog.Entry audit = services.audit.entry("restore.job")
                .with("jobId", job.jobId())
                .with("subject", job.requestedBy())
                .with("environment", job.environment())
                .with("filename", job.filename())
                .with("mode", services.config.restoreMode().name());
        Instant deadline = now.plusMillis(Math.max(1000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS));
        JobRecord finished;
        try {
            boolean ownsLock = lock.holder().map(h -> job.jobId().equals(h.jobId())).orElse(false);
            if (!ownsLock) {
                finished = job.failed(services.clock.instant(), "Restore refused: this job does not hold the restore "
                        + "lock of '" + job.environment() + "' (another restore may be running); nothing was changed");
            } else {
                RestoreService.Outcome outcome = restores.run(job.filename(), deadline);
                finished = job.succeeded(services.clock.instant(), outcome.bytes(),
                        "Database restored successfully from backup: " + outcome.filename(), outcome.details());
                audit.with("database", outcome.database()).with("preRestoreCopy", outcome.preRestoreCopy())
                        .with("preRestoreCopyKept", outcome.preRestoreCopyKept())
                        .with("pgRestore", outcome.pgRestoreVersion())
                        .with("pgRestoreMs", outcome.pgRestoreMillis());
            }
        } catch (RestoreService.RestoreFailedException | PgTools.PgToolsException | BucketUnavailableException e) {
            finished = job.failed(services.clock.instant(), e.getMessage());
        } catch (RuntimeException | Error e) {
            // unexpected: the class for the operator, never a raw message that might carry a secret
            finished = job.failed(services.clock.instant(), "Restore failed: " + e.getClass().getSimpleName() + ": "
                    + Redactor.scrub(String.valueOf(e.getMessage()), services.databaseSecrets()));
            if (e instanceof Error error) {
                finish(job, finished, claim, audit);
                throw error;
            }
        }
        finish(job, finished, claim, audit);
        return Services.workerResult(finished);
    }

    /**
     * Lock first (the next restore may start as soon as the outcome is visible), then the outcome, then the
     * claim; each step runs even if the one before failed.
     */
    private void finish(JobRecord job, JobRecord finished, String claim, AuditLog.Entry audit) {
        try {
            lock.release(job.jobId()); // only if this job holds it: another job's lock is never touched
        } catch (RuntimeException e) {
            audit.with("lockReleaseError", e.getClass().getSimpleName());
        } finally {
            try {
                services.jobs.save(finished);
            } finally {
                try {
                    services.store.deleteObject(claim);
                } catch (RuntimeException ignored) {
                    // a leftover claim only blocks a re-run of this finished job, which never happens anyway
                }
                audit.with("message", finished.message()).with("bytes", finished.bytes())
                        .write(finished.status().name());
            }
        }
    }
}
