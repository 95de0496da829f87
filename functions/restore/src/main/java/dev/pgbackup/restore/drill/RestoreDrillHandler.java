package dev.pgbackup.restore.drill;

import static dev.pgbackup.common.failure.Verdict.DRILL_REFUSED;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.worker.JobShell;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.restore.CloudWatchFreeStorage;
import dev.pgbackup.restore.CopyExpiry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The restore drill function, started by its own EventBridge schedule (or invoked by hand with {@code {}}): the
 * newest backup of this environment restored into a scratch database, checked and dropped ({@link DrillService}),
 * one drill per environment at a time (its own lock; restores and backups are not held up). The outcome is a
 * DRILL job record, an audit line, a DrillSucceeded or DrillFailed metric and, on success, the last-drill record.
 * The same function's second schedule ({@code "task": "drill-watch"}) runs {@link DrillWatch}.
 */
public class RestoreDrillHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    static final String DRILL_TASK = "restore-drill";
    static final String WATCH_TASK = "drill-watch";

    private final Config config;
    private final Clock clock;
    private final Deadline.Ticker ticker;
    private final AuditLog auditLog;
    private final JobStore jobs;
    private final DrillService drills;
    private final Lock lock;
    private final DrillWatch watch;
    private final JobShell shell;
    /** A new policy for each drill: it holds the backup the drill chose. */
    private final Supplier<DrillPolicy> policies;

    public RestoreDrillHandler() {
        this(Wiring.fromEnvironment());
    }

    public RestoreDrillHandler(Wiring wiring) {
        this(wiring, new Lock(wiring.records, wiring.keys.drillLock(), wiring.config.drill().worker().staleAfter(),
                wiring.clock),
                () -> secrets(wiring.databaseSecrets(),
                        wiring.config.drill().verificationServer().flatMap(wiring.secrets::peek)));
    }

    private RestoreDrillHandler(Wiring w, Lock lock, Supplier<List<String>> secrets) {
        this(w.config, w.clock, w.ticker, w.audit, w.jobs, service(w), lock,
                new DrillWatch(w.records, w.keys, w.config.drill().alarmAfter(), w.audit, w.metrics, w.clock),
                new JobShell(w.jobs, lock, w.events, w::warnAboutTls, w.clock),
                () -> new DrillPolicy(w.jobs, w.catalog, w.records, w.keys, w.metrics, w.clock, secrets));
    }

    RestoreDrillHandler(Config config, Clock clock, Deadline.Ticker ticker, AuditLog auditLog, JobStore jobs,
            DrillService drills, Lock lock, DrillWatch watch, JobShell shell,
            Supplier<DrillPolicy> policies) {
        this.config = config;
        this.clock = clock;
        this.ticker = ticker;
        this.auditLog = auditLog;
        this.jobs = jobs;
        this.drills = drills;
        this.lock = lock;
        this.watch = watch;
        this.shell = shell;
        this.policies = policies;
    }

    /** The drill service wired from the stack's parts. */
    public static DrillService service(Wiring w) {
        return new DrillService(w.objects, w.archives, w.catalog, w.pgTools, () -> server(w),
                w.config.drill().worker().staleAfter(), w.clock, w.config.appName(),
                dev.pgbackup.common.Once.of(() -> new dev.pgbackup.common.storage.ArchiveCipher(w.kms)), w.keys,
                CloudWatchFreeStorage.of(w.config, w.aws, w.clock), w.config.serverSpace().marginPercent(),
                new CopyExpiry(w.objects, w.keys, w.clock, w.config.copies(), w.audit));
    }

    /** The verification server when one is configured, else the environment's own server. */
    static DrillService.Server server(Wiring w) {
        return w.config.drill().verificationServer()
                .map(p -> new DrillService.Server(DbConnection.parse(w.secrets.get(p))
                        .withCertificatesIn(Path.of(w.config.pgToolsDir(), "certs")), "the verification server"))
                .orElseGet(() -> new DrillService.Server(w.database(), DrillService.ENVIRONMENT_SERVER));
    }

    /** The job of one schedule execution: the same for every delivery of it (a repeat runs once). */
    public static String scheduledJobId(Config config, String executionId) {
        return UUID.nameUUIDFromBytes((config.appName() + "/" + config.environment() + "/drill/" + executionId)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static String jobId(Config config, Map<String, Object> event) {
        Object id = event == null ? null : event.get("id");
        return id instanceof String s && !s.isBlank() ? scheduledJobId(config, s) : JobStore.newJobId();
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Deadline deadline = Deadline.fromContext(ticker, context, Config.WorkerLimits.SAFETY_MARGIN);
        String task = task(event);
        if (WATCH_TASK.equals(task)) {
            return watch.check();
        }

        if (task != null && !DRILL_TASK.equals(task)) {
            return ignored(null, "not a restore drill event (task '" + task + "')");
        }
        String jobId = jobId(config, event);
        if (!jobs.claim(jobId)) {
            return ignored(jobId, "already claimed by another invocation (a repeated delivery)");
        }
        String trigger = event != null && "aws.events".equals(event.get("source")) ? "schedule" : "invoke";
        JobRecord job = JobRecord.started(jobId, JobRecord.Type.DRILL, config.environment(), null, trigger,
                trigger, clock.instant());
        Lock.Outcome taken = lock.acquire(jobId, trigger, null);
        if (!taken.acquired()) {
            return refuse(job, taken.holder());
        }
        AuditLog.Entry audit = auditLog.entry("restore.drill").with("jobId", jobId).with("trigger", trigger)
                .with("environment", job.environment());
        return run(job, deadline, audit).summary();
    }

    private JobRecord run(JobRecord job, Deadline deadline, AuditLog.Entry audit) {
        DrillPolicy policy = policies.get();
        return shell.run(job, audit, policy, (running, progress) -> {
            audit.with("filename", running.filename());
            return drills.run(running.jobId(), policy.backup(), deadline, progress);
        });
    }

    /** Another drill of this environment holds the lock: this one is recorded as not run. */
    private Map<String, Object> refuse(JobRecord job, Lock.Holder holder) {
        JobRecord refused = job.failed(clock.instant(), DRILL_REFUSED.message("a restore drill of '"
                + job.environment() + "' is already running (job " + holder.jobId() + "); this one did not run"), null);
        return shell.refuse(refused, auditLog.entry("restore.drill").with("jobId", job.jobId())
                .with("runningJob", holder.jobId()).with("message", refused.message()), policies.get()).summary();
    }

    /**
     * The database passwords the drill read (the environment's and, from its URL as last read, the verification
     * server's), to scrub.
     */
    static List<String> secrets(List<String> database, Optional<String> verificationUrl) {
        List<String> secrets = new ArrayList<>(database);
        verificationUrl.ifPresent(url -> {
            try {
                String password = DbConnection.parse(url).password();
                if (password != null) {
                    secrets.add(password);
                }
            } catch (RuntimeException ignored) {
                // a URL that does not parse never reached a message either
            }
        });
        return secrets;
    }

    @SuppressWarnings("unchecked")
    private static String task(Map<String, Object> event) {
        Object detail = event == null ? null : event.get("detail");
        Object task = detail instanceof Map<?, ?> d ? ((Map<String, Object>) d).get("task") : null;
        return task instanceof String s ? s : null;
    }

    private Map<String, Object> ignored(String jobId, String reason) {
        auditLog.entry("restore.drill").with("jobId", jobId).with("reason", reason).write("IGNORED");
        return jobId == null ? Map.of("status", "IGNORED") : Map.of("status", "IGNORED", "jobId", jobId);
    }
}
