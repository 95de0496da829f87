package dev.pgbackup.backup;

import static dev.pgbackup.common.failure.Verdict.BACKUP_REFUSED;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.jobs.JobMetrics;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.worker.JobShell;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.retention.RetentionPolicy;
import dev.pgbackup.restore.api.RefreshStarter;
import dev.pgbackup.restore.api.RestoreApiHandler;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * The backup worker: invoked asynchronously by the API with a {@link WorkerPayload}, or by the EventBridge
 * schedule. Renews the backup lock while the job runs; always ends by writing the job's outcome, releasing the
 * lock, and one audit line.
 */
public class BackupWorkerHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private final Config config;
    private final Clock clock;
    private final Deadline.Ticker ticker;
    private final AuditLog auditLog;
    private final JobStore jobs;
    private final JobMetrics metrics;
    private final BackupService backups;
    private final Lock lock;
    private final BackupAssignments assignments;
    private final RefreshStarter refresh;
    private final JobShell shell;
    private final BackupPolicy policy;

    public BackupWorkerHandler() {
        this(Wiring.fromEnvironment());
    }

    public BackupWorkerHandler(Wiring wiring) {
        this(wiring, wiring.backupLock());
    }

    private BackupWorkerHandler(Wiring w, Lock lock) {
        this(w.config, w.clock, w.ticker, w.audit, w.jobs, w.metrics, service(w), lock,
                new BackupAssignments(w.config, w.jobs, lock, name -> w.catalog.find(name).isPresent(), w.clock),
                RestoreApiHandler.refresh(w), new JobShell(w.jobs, lock, w.events, w::warnAboutTls, w.clock),
                new BackupPolicy(w.metrics, w.clock, w::databaseSecrets));
    }

    BackupWorkerHandler(Config config, Clock clock, Deadline.Ticker ticker, AuditLog auditLog, JobStore jobs,
            JobMetrics metrics, BackupService backups, Lock lock, BackupAssignments assignments,
            RefreshStarter refresh, JobShell shell, BackupPolicy policy) {
        this.config = config;
        this.clock = clock;
        this.ticker = ticker;
        this.auditLog = auditLog;
        this.jobs = jobs;
        this.metrics = metrics;
        this.backups = backups;
        this.lock = lock;
        this.assignments = assignments;
        this.refresh = refresh;
        this.shell = shell;
        this.policy = policy;
    }

    /** The backup service wired from the stack's parts (also what tests and benchmarks run directly). */
    public static BackupService service(Wiring w) {
        return new BackupService(w.objects, w.archives, w.catalog, w.keys, w.pgTools, w.databases::login,
                new RetentionPolicy(w.config.retention(), w.config.timeZone()), w.config.compression(),
                w.config.dumpScope(), w.config.backupWindow(), w.config.drill().recordRowCounts(), w.clock,
                new BackupEncryption(w.config.encryption(), w.config.appName(), w.config.environment(),
                        dev.pgbackup.common.Once.of(() -> new dev.pgbackup.common.storage.ArchiveCipher(w.kms))),
                w.config.backupLockWait());
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Deadline deadline = Deadline.fromContext(ticker, context, Config.WorkerLimits.SAFETY_MARGIN);
        if (RefreshStarter.isRefresh(event)) {
            return refresh.start(event, deadline, this::safetyBackup);
        }
        Optional<BackupAssignments.Assignment> assignment;
        try {
            assignment = assign(event, deadline);
        } catch (BackupAssignments.Refused refused) {
            return refuse(refused);
        }
        if (assignment.isEmpty()) {
            auditLog.entry("backup.job").with("reason", "no running backup job to take (unknown, finished or "
                    + "already claimed)").write("IGNORED");
            return Map.of("status", "IGNORED");
        }
        return run(assignment.get(), deadline);
    }

    private Optional<BackupAssignments.Assignment> assign(Map<String, Object> event, Deadline deadline) {
        if (BackupAssignments.isScheduled(event)) {
            return assignments.fromSchedule(event, deadline);
        }
        return WorkerPayload.from(event).flatMap(assignments::fromPayload);
    }

    private Map<String, Object> refuse(BackupAssignments.Refused refused) {
        AuditLog.Entry audit = auditLog.entry("backup.job")
                .with("jobId", refused.job == null ? null : refused.job.jobId()).with("reason", refused.getMessage());
        if (refused.job == null) {
            audit.write("REFUSED");
            return Map.of("status", "REFUSED", "message", refused.getMessage());
        }
        return shell.refuse(refused.job.failed(clock.instant(), BACKUP_REFUSED.message(refused.getMessage()),
                null), audit, policy).summary();
    }

    /**
     * The refresh's safety backup: an on-demand backup of this environment, as the API would start it, run here under
     * the backup lock (a backup already running refuses it: the refresh must not restore over writes no backup holds).
     */
    private JobRecord safetyBackup(Deadline deadline) {
        String jobId = JobStore.newJobId();
        String filename = dev.pgbackup.common.storage.BackupName.create(config, clock.instant()).filename();
        JobRecord job = JobRecord.started(jobId, JobRecord.Type.BACKUP, config.environment(), filename,
                "schedule", "refresh", clock.instant());
        Lock.Outcome taken = lock.acquire(jobId, "schedule", filename);
        if (!taken.acquired()) {
            JobRecord refused = job.failed(clock.instant(), BACKUP_REFUSED.message("a backup of '"
                    + config.environment() + "' is already running (job " + taken.holder().jobId() + ")"), null);
            jobs.save(refused);
            metrics.backup(refused, JobMetrics.BackupFacts.NONE);
            return refused;
        }
        jobs.save(job);
        return runJob(new BackupAssignments.Assignment(job, dev.pgbackup.common.storage.BackupClass.ON_DEMAND),
                deadline);
    }

    private Map<String, Object> run(BackupAssignments.Assignment assignment, Deadline deadline) {
        return runJob(assignment, deadline).summary();
    }

    private JobRecord runJob(BackupAssignments.Assignment assignment, Deadline deadline) {
        JobRecord job = assignment.job();
        AuditLog.Entry audit = auditLog.entry("backup.job").with("jobId", job.jobId())
                .with("subject", job.requestedBy()).with("trigger", job.trigger())
                .with("environment", job.environment()).with("filename", job.filename())
                .with("class", assignment.backupClass().key);
        return shell.run(job, audit, policy, (running, progress) -> backups.run(
                new BackupService.Request(running.jobId(), running.filename(), assignment.backupClass()), deadline,
                progress));
    }
}
