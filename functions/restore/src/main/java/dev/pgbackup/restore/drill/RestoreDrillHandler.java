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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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

    private final Wiring wiring;
    private final DrillService drills;
    private final Lock lock;
    private final DrillWatch watch;
    private final JobShell shell;

    public RestoreDrillHandler() {
        this(Wiring.fromEnvironment());
    }

    public RestoreDrillHandler(Wiring wiring) {
        this.wiring = wiring;
        this.drills = service(wiring);
        this.lock = new Lock(wiring.records, wiring.keys.drillLock(), wiring.config.drill().worker().staleAfter(),
                wiring.clock);
        this.watch = new DrillWatch(wiring.records, wiring.keys, wiring.config.drill().alarmAfter(), wiring.audit,
                wiring.metrics, wiring.clock);
        this.shell = new JobShell(wiring.jobs, lock, wiring.events, wiring::warnAboutTls, wiring.clock);
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
        Deadline deadline = Deadline.fromContext(wiring.ticker, context, Config.WorkerLimits.SAFETY_MARGIN);
        String task = task(event);
        if (WATCH_TASK.equals(task)) {
            return watch.check();
        }

        if (task != null && !DRILL_TASK.equals(task)) {
            return ignored(null, "not a restore drill event (task '" + task + "')");
        }
        String jobId = jobId(wiring.config, event);
        if (!wiring.jobs.claim(jobId)) {
            return ignored(jobId, "already claimed by another invocation (a repeated delivery)");
        }
        String trigger = event != null && "aws.events".equals(event.get("source")) ? "schedule" : "invoke";
        JobRecord job = JobRecord.started(jobId, JobRecord.Type.DRILL, wiring.config.environment(), null, trigger,
                trigger, wiring.clock.instant());
        Lock.Outcome taken = lock.acquire(jobId, trigger, null);
        if (!taken.acquired()) {
            return refuse(job, taken.holder());
        }
        AuditLog.Entry audit = wiring.audit.entry("restore.drill").with("jobId", jobId).with("trigger", trigger)
                .with("environment", job.environment());
        return run(job, deadline, audit).summary();
    }

    private JobRecord run(JobRecord job, Deadline deadline, AuditLog.Entry audit) {
        DrillPolicy policy = policy();
        return shell.run(job, audit, policy, (running, progress) -> {
            audit.with("filename", running.filename());
            return drills.run(running.jobId(), policy.backup(), deadline, progress);
        });
    }

    /** Another drill of this environment holds the lock: this one is recorded as not run. */
    private Map<String, Object> refuse(JobRecord job, Lock.Holder holder) {
        JobRecord refused = job.failed(wiring.clock.instant(), DRILL_REFUSED.message("a restore drill of '"
                + job.environment() + "' is already running (job " + holder.jobId() + "); this one did not run"), null);
        return shell.refuse(refused, wiring.audit.entry("restore.drill").with("jobId", job.jobId())
                .with("runningJob", holder.jobId()).with("message", refused.message()), policy()).summary();
    }

    /** A new policy for each drill: it holds the backup the drill chose. */
    private DrillPolicy policy() {
        return new DrillPolicy(wiring.jobs, wiring.catalog, wiring.records, wiring.keys, wiring.metrics, wiring.clock,
                this::secrets);
    }

    /** The database passwords the drill read (the environment's and the verification server's), to scrub. */
    private List<String> secrets() {
        List<String> secrets = new ArrayList<>(wiring.databaseSecrets());
        wiring.config.drill().verificationServer().flatMap(wiring.secrets::peek).ifPresent(url -> {
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
        wiring.audit.entry("restore.drill").with("jobId", jobId).with("reason", reason).write("IGNORED");
        return jobId == null ? Map.of("status", "IGNORED") : Map.of("status", "IGNORED", "jobId", jobId);
    }
}
