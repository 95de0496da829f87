package dev.pgbackup.common.config;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads {@link Config} from environment variables, collecting every problem so one deploy shows them all. */
final class ConfigReader {
    /**
     * App and environment names: safe in S3 keys, file names and IAM resource patterns, and without '-',
     * which separates them in backup names and state prefixes ("a" + "b-prod" would equal "a-b" + "prod").
     */
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_]{0,39}");
    private static final Pattern LABEL = Pattern.compile("[A-Z]{1,6}");

    /**
     * Database bytes a backup gets through per second (MB = 10^6 bytes): benchmarks/ measured 73.7-85.4 MB/s
     * through the product with the default zstd:3 on 264 MB and 1 GB databases (2 cores); rounded down, because
     * a rate set too high lets through a backup that then runs out of time. BackupRateMBps overrides it.
     */
    static final double DEFAULT_BACKUP_RATE_MBPS = 70;

    static final int MAX_RESTORE_SOURCES = 4;

    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();
    private boolean timeoutReported;

    ConfigReader(Map<String, String> env) {
        this.env = env;
    }

    Config read() {
        Config.WorkerCompute compute = workerCompute();
        String app = name("APP_NAME");
        String environment = name("ENVIRONMENT");
        Set<String> sources = restoreSources();
        Config.RestoreMode mode = restoreMode();
        Config config = new Config(
                app,
                environment,
                required("BUCKET_NAME"),
                zone("BACKUP_TIME_ZONE", "Asia/Kolkata"),
                label("BACKUP_TIME_ZONE_LABEL", "IST"),
                new Config.RetentionSettings(
                        integer("RETENTION_COUNT", 30, 1),
                        integer("ON_DEMAND_RETENTION_COUNT", 10, 1),
                        Duration.ofDays(integer("ON_DEMAND_RETENTION_DAYS", 7, 1)),
                        integer("RETENTION_DAILY_DAYS", 0, 0),
                        integer("RETENTION_WEEKLY_WEEKS", 0, 0),
                        integer("RETENTION_MONTHLY_MONTHS", 0, 0),
                        integer("RETENTION_MIN_COUNT", 3, 0)),
                Notifications.read(env, problems),
                optional("DB_URL_PARAMETER", ""),
                DatabaseSource.read(env, problems),
                DumpScope.read(env, problems),
                required("JWT_SECRET_PARAMETER"),
                required("RESTORE_PASSKEY_PARAMETER"),
                new Config.JwtPolicy(
                        optional("REQUIRED_ROLE", "WEB_ACCESS"),
                        optional("ROLES_CLAIM", "roles"),
                        Duration.ofHours(integer("JWT_MAX_LIFETIME_HOURS", 12, 1)),
                        optional("JWT_AUDIENCE", null),
                        optional("JWT_ISSUER", null)),
                Duration.ofSeconds(integer("WAIT_BUDGET_SECONDS", 20, 0)),
                Duration.ofSeconds(integer("SECRET_CACHE_SECONDS", 120, 0)),
                Duration.ofMinutes(integer("RECENT_BACKUP_MINUTES", 5, 1)),
                optional("BACKUP_WORKER_FUNCTION", ""),
                optional("RESTORE_WORKER_FUNCTION", ""),
                optional("PG_TOOLS_DIR", "/opt"),
                compression(),
                EncryptionSettings.read(env, problems),
                mode,
                bool("KEEP_PRE_RESTORE_COPY", true),
                drill(compute),
                integer("RESTORE_JOBS", 0, 0),
                sources,
                integer("MAX_BODY_BYTES", 4096, 64),
                worker("BACKUP_WORKER_MAX_EVENT_AGE_SECONDS", 900, compute),
                worker("RESTORE_WORKER_MAX_EVENT_AGE_SECONDS", 300, compute),
                compute,
                positive("BACKUP_RATE_MB_PER_SECOND", DEFAULT_BACKUP_RATE_MBPS),
                new Config.ServerSpace(
                        integer("PRE_RESTORE_COPIES_TO_KEEP", 1, 0),
                        dbInstanceIdentifier(),
                        integer("FREE_SPACE_MARGIN_PERCENT", 20, 0)),
                // how long pg_dump waits for each table's lock (--lock-wait-timeout) before the backup fails
                Duration.ofSeconds(integer("BACKUP_LOCK_WAIT_SECONDS", 120, 1)),
                RefreshSettings.read(env, problems, app, environment, sources, mode),
                new CopySettings(Duration.ofHours(integer("RESTORE_COPY_EXPIRY_HOURS", 24, 1)),
                        integer("RESTORE_COPIES_TO_KEEP", 2, 1)));
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        return config;
    }

    /** An RDS DB instance identifier: a letter, then letters, digits and single hyphens, at most 63. */
    private String dbInstanceIdentifier() {
        String value = optional("DB_INSTANCE_IDENTIFIER", null);
        if (value != null && !value.matches("[A-Za-z](?:-?[A-Za-z0-9])*") || value != null && value.length() > 63) {
            problems.add("Environment variable DB_INSTANCE_IDENTIFIER must be an RDS DB instance identifier (a letter, "
                    + "then letters, digits and single hyphens, at most 63): " + value);
            return null;
        }
        return value;
    }

    private String optional(String key, String fallback) {
        String value = env.get(key);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private String required(String key) {
        String value = optional(key, null);
        if (value == null) {
            problems.add("Missing required environment variable: " + key);
            return "";
        }
        return value;
    }

    private String name(String key) {
        String value = required(key);
        if (!value.isEmpty() && !NAME.matcher(value).matches()) {
            problems.add("Environment variable " + key + " must be 1-40 lower-case letters, digits or '_' "
                    + "(no '-', which separates app and environment in backup names): " + value);
        }
        return value;
    }

    private String label(String key, String fallback) {
        String value = optional(key, fallback);
        if (!LABEL.matcher(value).matches()) {
            problems.add("Environment variable " + key + " must be 1-6 upper-case letters (it ends every backup name): "
                    + value);
            return fallback;
        }
        return value;
    }

    private int integer(String key, int fallback, int min) {
        String value = optional(key, null);
        if (value == null) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < min) {
                problems.add("Environment variable " + key + " must be at least " + min + ": " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            problems.add("Environment variable " + key + " must be a whole number: " + value);
            return fallback;
        }
    }

    /** Only "true" or "false": a typo ("ture", "yes") must not silently mean false. */
    private boolean bool(String key, boolean fallback) {
        String value = optional(key, null);
        if (value == null) {
            return fallback;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> {
                problems.add("Environment variable " + key + " must be 'true' or 'false': " + value);
                yield fallback;
            }
        };
    }

    private ZoneId zone(String key, String fallback) {
        String value = optional(key, fallback);
        try {
            return ZoneId.of(value);
        } catch (RuntimeException e) {
            problems.add("Environment variable " + key + " is not a time zone id: " + value);
            return ZoneId.of(fallback);
        }
    }

    private Compression compression() {
        String value = optional("BACKUP_COMPRESSION", Compression.DEFAULT);
        try {
            return Compression.parse(value);
        } catch (IllegalArgumentException e) {
            problems.add("Environment variable BACKUP_COMPRESSION " + e.getMessage());
            return Compression.parse(Compression.DEFAULT);
        }
    }

    private Config.RestoreMode restoreMode() {
        String value = optional("RESTORE_MODE", "swap").toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return Config.RestoreMode.valueOf(value);
        } catch (IllegalArgumentException e) {
            problems.add("Environment variable RESTORE_MODE must be 'swap' or 'in-place': " + value);
            return Config.RestoreMode.SWAP;
        }
    }

    /** "*" (or unset): any environment's backups; else a comma-separated list of environment names. */
    private Set<String> restoreSources() {
        String value = optional("RESTORE_SOURCE_ENVIRONMENTS", "*");
        if (value.equals("*")) {
            return Set.of();
        }
        Set<String> names = new LinkedHashSet<>();
        for (String part : value.split(",")) {
            String name = part.trim();
            if (!NAME.matcher(name).matches()) {
                problems.add("Environment variable RESTORE_SOURCE_ENVIRONMENTS must be '*' or environment names "
                        + "separated by commas: " + value);
                return Set.of();
            }
            names.add(name);
        }
        if (names.size() > MAX_RESTORE_SOURCES) {
            // template.yaml grants read access to four named environments (CloudFormation cannot map a list)
            problems.add("Environment variable RESTORE_SOURCE_ENVIRONMENTS names at most " + MAX_RESTORE_SOURCES
                    + " environments (or '*'): " + value);
        }
        return Set.copyOf(names);
    }

    private Config.WorkerLimits worker(String maxEventAgeKey, int defaultAge, Config.WorkerCompute compute) {
        int timeout = integer("WORKER_TIMEOUT_SECONDS", 900, 60);
        if (timeout > compute.maxTimeout.toSeconds() && !timeoutReported) {
            timeoutReported = true;
            problems.add("Environment variable WORKER_TIMEOUT_SECONDS must be at most " + compute.maxTimeout.toSeconds()
                    + " with WORKER_COMPUTE=" + compute.label + (compute == Config.WorkerCompute.LAMBDA
                    ? " (up to 5400 with WORKER_COMPUTE=managed-instances)" : "") + ": " + timeout);
        }
        return new Config.WorkerLimits(Duration.ofSeconds(timeout),
                Duration.ofSeconds(integer(maxEventAgeKey, defaultAge, 60)));
    }

    private Config.WorkerCompute workerCompute() {
        String value = optional("WORKER_COMPUTE", Config.WorkerCompute.LAMBDA.label);
        for (Config.WorkerCompute compute : Config.WorkerCompute.values()) {
            if (compute.label.equals(value)) {
                return compute;
            }
        }
        problems.add("Environment variable WORKER_COMPUTE must be 'lambda' or 'managed-instances': " + value);
        return Config.WorkerCompute.LAMBDA;
    }

    private double positive(String key, double fallback) {
        String value = optional(key, null);
        if (value == null) {
            return fallback;
        }
        try {
            double parsed = Double.parseDouble(value);
            if (!(parsed > 0) || Double.isInfinite(parsed)) {
                problems.add("Environment variable " + key + " must be a number above 0: " + value);
                return fallback;
            }
            return parsed;
        } catch (NumberFormatException e) {
            problems.add("Environment variable " + key + " must be a number above 0: " + value);
            return fallback;
        }
    }

    /** Restore drills: the verification server's parameter (optional), row counting, the alarm's limit. */
    private DrillSettings drill(Config.WorkerCompute compute) {
        String server = optional("DRILL_DATABASE_URL_PARAMETER", "");
        if (!server.isEmpty() && !PARAMETER_NAME.matcher(server).matches()) {
            problems.add("Environment variable DRILL_DATABASE_URL_PARAMETER must be an SSM parameter name starting "
                    + "with '/' (or empty for the environment's own server): " + server);
        }
        // the drill function is a standard Lambda function: the workers' timeout on standard Lambda, 900 s when the
        // workers run on managed instances, as template.yaml sets it (read quietly: worker() reports a bad value)
        long timeout = DrillSettings.MAX_TIMEOUT.toSeconds();
        try {
            if (compute == Config.WorkerCompute.LAMBDA) {
                timeout = Math.max(60, Math.min(Long.parseLong(optional("WORKER_TIMEOUT_SECONDS", "900")), timeout));
            }
        } catch (NumberFormatException e) {
            // reported by worker()
        }
        return new DrillSettings(server, bool("RECORD_ROW_COUNTS", true),
                Duration.ofDays(integer("DRILL_ALARM_DAYS", 8, 1)),
                new Config.WorkerLimits(Duration.ofSeconds(timeout), DrillSettings.MAX_EVENT_AGE));
    }

    private static final Pattern PARAMETER_NAME = Pattern.compile("/[A-Za-z0-9_./-]+");
}
