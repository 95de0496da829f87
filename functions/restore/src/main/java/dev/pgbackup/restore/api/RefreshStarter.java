package dev.pgbackup.restore.api;

import static dev.pgbackup.common.failure.Verdict.REFRESH_FAILED;
import static dev.pgbackup.common.failure.Verdict.REFRESH_REFUSED;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.events.JobEvents;
import dev.pgbackup.common.jobs.JobFailures;
import dev.pgbackup.common.jobs.JobMetrics;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobRunner;
import dev.pgbackup.common.jobs.JobStart;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.jobs.LockHeartbeat;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.restore.RestoreRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The scheduled refresh of this environment from REFRESH_SOURCE_ENVIRONMENT (staging from production), started by the
 * backup worker when its refresh schedule fires. What an operator did by hand in three calls, with the same rules: the
 * restore lock and a RESTORE job (trigger "schedule") first, so no API restore can slip in; then this environment's
 * safety backup, taken by the backup worker itself (an on-demand backup, under the backup lock); then the restore
 * checks of the API (source accepted here, a safety backup since the last restore); then the job goes to the restore
 * worker with the payload an API restore sends it, which restores, sanitises, analyses, swaps, journals, audits and
 * announces it like any restore. No passkey: the stack's own configuration chose the backup, not a caller.
 *
 * <p>Why here and not in the restore worker: the safety backup writes (and prunes) this environment's backups, which
 * only the backup worker's role may do, and each half gets its own worker's whole time limit.
 */
public final class RefreshStarter {
    public static final String TASK = "refresh";
    static final String SUBJECT = "schedule";

    /** Takes this environment's safety backup under the backup lock and returns its finished BACKUP job. */
    @FunctionalInterface
    public interface SafetyBackup {
        JobRecord take(Deadline deadline);
    }

    /** Where the refresh finds the source's newest complete backup. */
    record Sources(ObjectStore objects, BackupCatalog catalog, StateKeys keys) {}

    /** Where a refresh that ends here tells of it; {@code secrets} are scrubbed from its message. */
    record Outcomes(AuditLog audit, JobMetrics metrics, JobEvents events, Supplier<List<String>> secrets) {}

    private final Config config;
    private final RestoreChecks checks;
    private final Lock lock;
    private final JobStore jobs;
    private final JobRunner runner;
    private final Sources sources;
    private final Outcomes outcomes;
    private final Clock clock;

    RefreshStarter(Config config, RestoreChecks checks, Lock lock, JobStore jobs, JobRunner runner, Sources sources,
            Outcomes outcomes, Clock clock) {
        this.config = config;
        this.checks = checks;
        this.lock = lock;
        this.jobs = jobs;
        this.runner = runner;
        this.sources = sources;
        this.outcomes = outcomes;
        this.clock = clock;
    }

    /** Whether a worker event is the refresh schedule's. */
    @SuppressWarnings("unchecked")
    public static boolean isRefresh(Map<String, Object> event) {
        Object detail = event == null ? null : event.get("detail");
        return "aws.events".equals(event == null ? null : event.get("source")) && detail instanceof Map<?, ?> d
                && TASK.equals(((Map<String, Object>) d).get("task"));
    }

    /** The RESTORE job of one schedule execution: the same for every delivery of it (a repeat runs once). */
    public static String scheduledJobId(Config config, String executionId) {
        return UUID.nameUUIDFromBytes((config.appName() + "/" + config.environment() + "/" + TASK + "/" + executionId)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    public Map<String, Object> start(Map<String, Object> event, Deadline deadline, SafetyBackup safety) {
        Object id = event.get("id");
        String jobId = id instanceof String s && !s.isBlank() ? scheduledJobId(config, s) : JobStore.newJobId();
        AuditLog.Entry audit = outcomes.audit().entry("restore.refresh").with("jobId", jobId).with("trigger", SUBJECT)
                .with("environment", config.environment());
        Optional<String> source = config.refresh().source();
        if (source.isEmpty()) {
            // the schedule is disabled with the setting; an invocation by hand must not restore anything either
            audit.with("reason", "REFRESH_SOURCE_ENVIRONMENT is empty: refresh is off").write("IGNORED");
            return Map.of("status", "IGNORED");
        }
        audit.with("source", source.get());
        // the delivery's own claim: the job's claim is the restore worker's, taken when it starts the job
        if (!jobs.claim("refresh-" + jobId)) {
            audit.with("reason", "already claimed (a repeated delivery)").write("IGNORED");
            return Map.of("status", "IGNORED", "jobId", jobId);
        }
        JobRecord job = JobRecord.started(jobId, JobRecord.Type.RESTORE, config.environment(), null, SUBJECT, SUBJECT,
                clock.instant());
        Optional<BackupObject> newest;
        try {
            newest = newestComplete(source.get());
        } catch (RuntimeException e) {
            return finishFailed(job, e, audit, false);
        }
        if (newest.isEmpty()) {
            return finishFailed(job, Failure.conflict(REFRESH_FAILED, "there is no complete backup of '" + source.get()
                    + "' to restore; nothing was changed"), audit, false);
        }
        BackupObject backup = newest.get();
        job = JobRecord.started(jobId, JobRecord.Type.RESTORE, config.environment(), backup.filename(), SUBJECT,
                SUBJECT, job.createdAt());
        audit.with("filename", backup.filename());
        Lock.Outcome taken = lock.acquire(jobId, SUBJECT, backup.filename());
        if (!taken.acquired()) {
            return finishFailed(job, Failure.conflict(REFRESH_REFUSED, "a restore of '" + config.environment()
                    + "' is already running (job " + taken.holder().jobId() + "); nothing was changed"), audit, false);
        }
        try (LockHeartbeat heartbeat = LockHeartbeat.start(lock, jobId, LockHeartbeat.EVERY)) {
            jobs.save(job);
            JobRecord safetyBackup = safety.take(deadline);
            audit.with("safetyBackup", safetyBackup.filename()).with("safetyBackupJob", safetyBackup.jobId());
            if (safetyBackup.status() != JobRecord.Status.SUCCEEDED) {
                throw Failure.server(REFRESH_FAILED, "the safety backup of '" + config.environment() + "' did not "
                        + "succeed (job " + safetyBackup.jobId() + ": " + safetyBackup.message() + "); nothing was "
                        + "changed");
            }
            checks.approveScheduled(backup);
        } catch (RuntimeException e) {
            return finishFailed(job, e, audit, true);
        }
        return handOver(job, audit);
    }

    /**
     * The restore worker gets the payload an API restore sends; it claims the job, holds it against the lock and this
     * record, and finishes it. Launched without waiting: the refresh's time is the restore worker's own.
     */
    private Map<String, Object> handOver(JobRecord job, AuditLog.Entry audit) {
        JobStart started;
        try {
            started = runner.startAndWait(job, config.restoreWorkerFunction(), new WorkerPayload(job.jobId(),
                    config.environment(), job.filename(), RestoreRequest.REPLACE.how(config.restoreMode())),
                    Deadline.in(Duration.ZERO));
        } catch (RuntimeException e) {
            return finishFailed(job, e, audit, true);
        }
        if (started instanceof JobStart.NotLaunched notLaunched) {
            lock.release(job.jobId()); // no worker will ever release it
            publish(notLaunched.job(), audit);
            audit.with("message", notLaunched.job().message()).write("FAILED");
            return notLaunched.job().summary();
        }
        // LaunchUnknown keeps the lock, as the API does: the worker may run, and the lock goes stale if it does not
        audit.write("STARTED");
        return job.summary();
    }

    /**
     * The newest backup of {@code source} whose manifest exists: its worker writes the manifest once the backup is
     * whole and reads back as a restore reads it, so an archive still being recorded (or one whose records failed) is
     * passed over. Found by listing only: this worker may read no other environment's objects.
     */
    private Optional<BackupObject> newestComplete(String source) {
        String prefix = sources.keys().of(source).manifestPrefix();
        Set<String> recorded = new java.util.HashSet<>();
        for (var m : sources.objects().list(prefix)) {
            String rest = m.key().substring(prefix.length());
            for (var c : dev.pgbackup.common.storage.BackupClass.values()) {
                if (rest.endsWith("." + c.key + ".json")) {
                    recorded.add(rest.substring(0, rest.length() - c.key.length() - 6));
                }
            }
        }
        // the catalog lists newest first (LastModified, then the name's time)
        return sources.catalog().listAll().stream().filter(b -> b.environment().equals(source))
                .filter(b -> recorded.contains(b.filename())).findFirst();
    }

    private Map<String, Object> finishFailed(JobRecord job, RuntimeException e, AuditLog.Entry audit, boolean locked) {
        JobRecord failed = JobFailures.failed(job, e, clock.instant(), "Refresh", outcomes.secrets().get());
        if (locked) {
            try {
                lock.release(job.jobId());
            } catch (RuntimeException r) {
                audit.with("lockReleaseError", r.getClass().getSimpleName()); // it goes stale instead
            }
        }
        try {
            jobs.save(failed);
        } finally {
            publish(failed, audit);
            audit.with("message", failed.message()).with("diagnostic", failed.diagnostic()).write("FAILED");
        }
        return failed.summary();
    }

    /** A refresh that ends here (no restore worker finishes it): its metric, then its event. */
    private void publish(JobRecord finished, AuditLog.Entry audit) {
        outcomes.metrics().restore(finished);
        outcomes.events().publish(finished).addTo(audit);
    }

    /** What a refresh event looks like (the local run's trigger and the sample event send this). */
    public static Map<String, Object> detail() {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("task", TASK);
        return detail;
    }
}
