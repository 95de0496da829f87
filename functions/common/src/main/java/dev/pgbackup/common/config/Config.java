package dev.pgbackup.common.config;

import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;
import java.util.Set;

/**
 * The stack's configuration, read once per container from the environment that template.yaml sets.
 * Everything that differs between users or environments lives here; nothing is hard-wired elsewhere.
 */
public record Config(
        String appName,
        String environment,
        String bucket,
        ZoneId timeZone,
        String timeZoneLabel,
        RetentionSettings retention,
        Notifications notifications,
        String dbUrlParameter,
        DatabaseSource database,
        DumpScope dumpScope,
        String jwtSecretParameter,
        String restorePasskeyParameter,
        JwtPolicy jwt,
        Duration waitBudget,
        Duration secretTtl,
        Duration recentBackupWindow,
        String backupWorkerFunction,
        String restoreWorkerFunction,
        String pgToolsDir,
        Compression compression,
        EncryptionSettings encryption,
        RestoreMode restoreMode,
        boolean keepPreRestoreCopy,
        DrillSettings drill,
        int restoreJobs,
        Set<String> restoreSources,
        int maxBodyBytes,
        WorkerLimits backupWorker,
        WorkerLimits restoreWorker,
        WorkerCompute workerCompute,
        double backupRateMBps,
        ServerSpace serverSpace,
        Duration backupLockWait,
        RefreshSettings refresh,
        CopySettings copies) {

    public enum RestoreMode {
        SWAP, IN_PLACE
    }

    /**
     * Where the workers run: standard Lambda (an invocation ends at its timeout, at most 900 s) or Lambda
     * Managed Instances (asynchronous invocations up to 5,400 s; Lambda does not stop one at its timeout,
     * so the worker's own deadline is what stops it; several invocations share one JVM).
     */
    public enum WorkerCompute {
        LAMBDA("lambda", Duration.ofSeconds(900)), MANAGED_INSTANCES("managed-instances", Duration.ofSeconds(5400));

        public final String label;
        public final Duration maxTimeout;

        WorkerCompute(String label, Duration maxTimeout) {
            this.label = label;
            this.maxTimeout = maxTimeout;
        }
    }

    /**
     * What restores and drills may take of the database server's disk: the newest {@code preRestoreCopiesToKeep}
     * copies a swap restore kept of each target (0: none, as KEEP_PRE_RESTORE_COPY=false), and, when
     * {@code dbInstanceIdentifier} names the RDS instance, room for one more database of the backup's size plus
     * {@code marginPercent} checked in CloudWatch before one is created (null: not checked, e.g. Aurora, whose
     * cluster volume grows by itself).
     */
    public record ServerSpace(int preRestoreCopiesToKeep, String dbInstanceIdentifier, int marginPercent) {}

    /** How many pre-restore copies of a target a successful swap restore leaves on the server. */
    public int preRestoreCopiesToKeep() {
        return keepPreRestoreCopy ? serverSpace.preRestoreCopiesToKeep() : 0;
    }

    /** What a token must carry: the role in the roles claim, a bounded lifetime, and audience/issuer if set. */
    public record JwtPolicy(String requiredRole, String rolesClaim, Duration maxLifetime, String audience,
            String issuer) {}

    /**
     * Scheduled backups are the history: the newest {@code scheduledKeep} are kept, or, when any tier is on
     * (grandfather-father-son), the newest of each of the last {@code dailyDays} days, {@code weeklyWeeks} ISO
     * weeks and {@code monthlyMonths} months, and always the newest {@code minCount}. On-demand backups (API
     * requests, safety backups) are a separate class: the newest {@code onDemandKeep}, none older than
     * {@code onDemandMaxAge}, so no number of requests can push a scheduled backup out.
     */
    public record RetentionSettings(int scheduledKeep, int onDemandKeep, Duration onDemandMaxAge, int dailyDays,
            int weeklyWeeks, int monthlyMonths, int minCount) {
        /** Count-only retention, as before the tiers existed. */
        public RetentionSettings(int scheduledKeep, int onDemandKeep, Duration onDemandMaxAge) {
            this(scheduledKeep, onDemandKeep, onDemandMaxAge, 0, 0, 0, 0);
        }

        /** Whether the tiers decide (any of them on); otherwise the newest {@code scheduledKeep} are kept. */
        public boolean tiered() {
            return dailyDays > 0 || weeklyWeeks > 0 || monthlyMonths > 0;
        }
    }

    /**
     * A worker's time: its Lambda timeout and how long Lambda may hold its queued asynchronous event.
     * The one source for deadlines, and for when a job or lock of that worker counts as abandoned.
     */
    public record WorkerLimits(Duration timeout, Duration maxEventAge) {
        /** Kept back from the timeout to kill a tool, abort an upload or drop a database, and report. */
        public static final Duration SAFETY_MARGIN = Duration.ofSeconds(45);
        private static final Duration STALE_MARGIN = Duration.ofMinutes(2);

        /**
         * A RUNNING job older than this, or a lock not written (taken or renewed) for this long, belongs to an
         * invocation that died without a word.
         */
        public Duration staleAfter() {
            return timeout.plus(maxEventAge).plus(STALE_MARGIN);
        }

        /** How long a job of this worker may run: its timeout less what is kept back to stop and report. */
        public Duration window() {
            return timeout.minus(SAFETY_MARGIN);
        }
    }

    /** The rule that refuses, before pg_dump starts, a backup that cannot finish within the backup worker's window. */
    public BackupWindow backupWindow() {
        return new BackupWindow(backupWorker.window(), backupRateMBps, workerCompute);
    }

    /** Whether a backup of {@code source} may be restored into this environment. */
    public boolean acceptsRestoreFrom(String source) {
        return restoreSources.isEmpty() || restoreSources.contains(source);
    }

    public static Config fromEnvironment() {
        return from(System.getenv());
    }

    public static Config from(Map<String, String> env) {
        return new ConfigReader(env).read();
    }
}
