package dev.pgbackup.restore;

import static dev.pgbackup.common.failure.Verdict.RESTORE_FAILED;
import static dev.pgbackup.common.failure.Verdict.RESTORE_REFUSED;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.worker.JobShell;
import dev.pgbackup.common.worker.PayloadCheck;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.jobs.WorkerPayload;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * The restore worker, invoked asynchronously by the restore API with a {@link WorkerPayload} (reserved
 * concurrency 1, no retries). It runs a job only for this environment, only while the job is RUNNING, only
 * once (a claim makes a duplicate delivery a no-op), only while the job holds the environment's restore lock,
 * and only for exactly the file that lock names. It renews the lock while the job runs; however it ends, it
 * releases the lock, writes the job's outcome and one audit line.
 */
public class RestoreWorkerHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private final Config config;
    private final Clock clock;
    private final Deadline.Ticker ticker;
    private final AuditLog auditLog;
    private final JobStore jobs;
    private final RestoreService restores;
    private final CopySweep sweep;
    private final JobShell shell;
    private final RestorePolicy policy;
    private final PayloadCheck check;
    static final String SWEEP_TASK = "copy-sweep";

    public RestoreWorkerHandler() {
        this(Wiring.fromEnvironment());
    }

    public RestoreWorkerHandler(Wiring wiring) {
        this(wiring, wiring.restoreLock());
    }

    private RestoreWorkerHandler(Wiring w, Lock lock) {
        this(w.config, w.clock, w.ticker, w.audit, w.jobs, service(w),
                new CopySweep(new CopyExpiry(w.objects, w.keys, w.clock, w.config.copies(), w.audit), w.audit,
                        w.config.environment(), w::database, w::databaseSecrets),
                new JobShell(w.jobs, lock, w.events, w::warnAboutTls, w.clock),
                new RestorePolicy(w.records, w.keys, w.audit, w.metrics, w.clock, w.config.preRestoreCopiesToKeep(),
                        w::databaseSecrets),
                new PayloadCheck(w.config.environment(), w.jobs, lock, JobRecord.Type.RESTORE));
    }

    RestoreWorkerHandler(Config config, Clock clock, Deadline.Ticker ticker, AuditLog auditLog, JobStore jobs,
            RestoreService restores, CopySweep sweep, JobShell shell, RestorePolicy policy,
            PayloadCheck check) {
        this.config = config;
        this.clock = clock;
        this.ticker = ticker;
        this.auditLog = auditLog;
        this.jobs = jobs;
        this.restores = restores;
        this.sweep = sweep;
        this.shell = shell;
        this.policy = policy;
        this.check = check;
    }

    /** The restore service wired from the stack's parts (also what tests and benchmarks run directly). */
    public static RestoreService service(Wiring w) {
        return new RestoreService(w.config, w.objects, w.archives, w.catalog, w.keys, w.pgTools, w.databases::login,
                java.nio.file.Path.of(System.getProperty("java.io.tmpdir")), w.clock,
                dev.pgbackup.common.Once.of(() -> new dev.pgbackup.common.storage.ArchiveCipher(w.kms)),
                CloudWatchFreeStorage.of(w.config, w.aws, w.clock), w.secrets, w.audit);
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Deadline deadline = Deadline.fromContext(ticker, context, Config.WorkerLimits.SAFETY_MARGIN);
        if (isSweep(event)) {
            return sweep.sweep();
        }
        Optional<WorkerPayload> payload = WorkerPayload.from(event);
        if (payload.isEmpty()) {
            return ignored(null, "not a restore job payload");
        }
        WorkerPayload p = payload.get();
        PayloadCheck.Verdict verdict = check.check(p,
                job -> RestoreRequest.of(job).matches(p, config.restoreMode()));
        if (verdict.found() == PayloadCheck.Found.OTHER_ENVIRONMENT) {
            auditLog.entry("restore.job").with("jobId", p.jobId())
                    .with("reason", "the job is for environment '" + p.environment() + "', not this one")
                    .write("REFUSED");
            return Map.of("status", "REFUSED");
        }
        if (verdict.found() == PayloadCheck.Found.NOT_RUNNING) {
            return ignored(p.jobId(), "no running restore job with that id");
        }
        JobRecord job = verdict.job();
        Optional<String> refusal = refusal(verdict, job);
        if (refusal.isEmpty() && !claim(job)) {
            return ignored(job.jobId(), "already claimed by another invocation");
        }
        RestoreRequest request = RestoreRequest.of(job);
        AuditLog.Entry audit = auditLog.entry("restore.job").with("jobId", job.jobId())
                .with("subject", job.requestedBy()).with("trigger", job.trigger())
                .with("environment", job.environment())
                .with("filename", job.filename())
                .with("mode", request.copy() ? RestoreRequest.COPY_HOW : config.restoreMode().name())
                .with("tables", request.tables()).with("roles", request.roles().encoded());
        JobRecord finished = refusal.isPresent()
                ? shell.finish(job.failed(clock.instant(),
                        RESTORE_REFUSED.message(refusal.get() + "; nothing was changed"), null), audit, policy)
                : shell.run(job, audit, policy,
                        (running, progress) -> restores.run(running.jobId(), running.filename(), request, deadline,
                                progress));
        return finished.summary();
    }

    /**
     * Claims the job; when the claim cannot even be written, nothing has run: the job is failed and its lock
     * freed (best effort) so that a retry does not wait for the lock to go stale.
     */
    private boolean claim(JobRecord job) {
        try {
            return jobs.claim(job.jobId());
        } catch (RuntimeException e) {
            AuditLog.Entry audit = auditLog.entry("restore.job").with("jobId", job.jobId())
                    .with("error", e.getClass().getSimpleName());
            String why = "the job could not be claimed (" + e.getClass().getSimpleName() + "); nothing was changed";
            JobRecord failed = job.failed(clock.instant(), RESTORE_FAILED.message(why),
                    String.valueOf(e.getMessage()));
            shell.finish(failed, audit, policy);
            throw e;
        }
    }

    /** Why this invocation may not run the job: the payload must match the job record and the lock's holder. */
    private static Optional<String> refusal(PayloadCheck.Verdict verdict, JobRecord job) {
        return switch (verdict.found()) {
            case DISAGREES -> Optional.of("the job record and the invoke payload disagree (file, mode or tables)");
            case LOCK_NOT_HELD -> Optional.of("this job does not hold the restore lock of '" + job.environment()
                    + "' (another restore may be running)");
            default -> Optional.empty();
        };
    }

    @SuppressWarnings("unchecked")
    private static boolean isSweep(Map<String, Object> event) {
        return event != null && "aws.events".equals(event.get("source")) && event.get("detail") instanceof Map<?, ?> d
                && SWEEP_TASK.equals(((Map<String, Object>) d).get("task"));
    }

    private Map<String, Object> ignored(String jobId, String reason) {
        auditLog.entry("restore.job").with("jobId", jobId).with("reason", reason).write("IGNORED");
        return jobId == null ? Map.of("status", "IGNORED") : Map.of("status", "IGNORED", "jobId", jobId);
    }
}
