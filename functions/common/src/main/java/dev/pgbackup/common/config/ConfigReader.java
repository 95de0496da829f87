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
    /** An SSM parameter name as the template's parameters allow one (a path from the root). */
    static final Pattern PARAMETER_NAME = Pattern.compile("/[A-Za-z0-9_./-]+");
    private static final Pattern LABEL = Pattern.compile("[A-Z]{1,6}");

    /** A request body is two short fields: 4 KB is far above any real one, and far below what could hurt. */
    static final int MAX_BODY_BYTES = 4096;

    static final int MAX_RESTORE_SOURCES = 4;

    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();
    private boolean timeoutReported;

    ConfigReader(Map<String, String> env) {
        this.env = env;
    }

    Config read() {
        Config.WorkerCompute compute = workerCompute();
        String app = name(Variable.APP_NAME);
        String environment = name(Variable.ENVIRONMENT);
        Set<String> sources = restoreSources();
        Config.RestoreMode mode = restoreMode();
        Config config = new Config(
                app,
                environment,
                required(Variable.BUCKET_NAME),
                zone(Variable.BACKUP_TIME_ZONE),
                label(Variable.BACKUP_TIME_ZONE_LABEL),
                retention(),
                Notifications.read(env, problems),
                optional(Variable.DB_URL_PARAMETER, ""),
                DatabaseSource.read(env, problems),
                DumpScope.read(env, problems),
                required(Variable.JWT_SECRET_PARAMETER),
                required(Variable.RESTORE_PASSKEY_PARAMETER),
                jwtPolicy(),
                Duration.ofSeconds(integer(Variable.WAIT_BUDGET_SECONDS, 0)),
                Duration.ofSeconds(integer(Variable.SECRET_CACHE_SECONDS, 0)),
                Duration.ofMinutes(integer(Variable.RECENT_BACKUP_MINUTES, 1)),
                optional(Variable.BACKUP_WORKER_FUNCTION, ""),
                optional(Variable.RESTORE_WORKER_FUNCTION, ""),
                optional(Variable.PG_TOOLS_DIR),
                compression(),
                EncryptionSettings.read(env, problems),
                mode,
                bool(Variable.KEEP_PRE_RESTORE_COPY),
                drill(compute),
                integer(Variable.RESTORE_JOBS, 0),
                sources,
                MAX_BODY_BYTES,
                worker(Variable.BACKUP_WORKER_MAX_EVENT_AGE_SECONDS, compute),
                worker(Variable.RESTORE_WORKER_MAX_EVENT_AGE_SECONDS, compute),
                compute,
                positive(Variable.BACKUP_RATE_MB_PER_SECOND),
                new Config.ServerSpace(
                        integer(Variable.PRE_RESTORE_COPIES_TO_KEEP, 0),
                        dbInstanceIdentifier(),
                        integer(Variable.FREE_SPACE_MARGIN_PERCENT, 0)),
                // how long pg_dump waits for each table's lock (--lock-wait-timeout) before the backup fails
                Duration.ofSeconds(integer(Variable.BACKUP_LOCK_WAIT_SECONDS, 1)),
                RefreshSettings.read(env, problems, app, environment, sources, mode),
                new CopySettings(Duration.ofHours(integer(Variable.RESTORE_COPY_EXPIRY_HOURS, 1)),
                        integer(Variable.RESTORE_COPIES_TO_KEEP, 1)));
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        return config;
    }

    private Config.RetentionSettings retention() {
        return new Config.RetentionSettings(
                integer(Variable.RETENTION_COUNT, 1),
                integer(Variable.ON_DEMAND_RETENTION_COUNT, 1),
                Duration.ofDays(integer(Variable.ON_DEMAND_RETENTION_DAYS, 1)),
                integer(Variable.RETENTION_DAILY_DAYS, 0),
                integer(Variable.RETENTION_WEEKLY_WEEKS, 0),
                integer(Variable.RETENTION_MONTHLY_MONTHS, 0),
                integer(Variable.RETENTION_MIN_COUNT, 0));
    }

    private Config.JwtPolicy jwtPolicy() {
        return new Config.JwtPolicy(
                optional(Variable.REQUIRED_ROLE),
                optional(Variable.ROLES_CLAIM),
                Duration.ofHours(integer(Variable.JWT_MAX_LIFETIME_HOURS, 1)),
                optional(Variable.JWT_AUDIENCE),
                optional(Variable.JWT_ISSUER));
    }

    /** An RDS DB instance identifier: a letter, then letters, digits and single hyphens, at most 63. */
    private String dbInstanceIdentifier() {
        String value = optional(Variable.DB_INSTANCE_IDENTIFIER);
        if (value != null && !value.matches("[A-Za-z](?:-?[A-Za-z0-9])*") || value != null && value.length() > 63) {
            problems.add("Environment variable DB_INSTANCE_IDENTIFIER must be an RDS DB instance identifier (a letter, "
                    + "then letters, digits and single hyphens, at most 63): " + value);
            return null;
        }
        return value;
    }

    /** The value, or the variable's default. */
    private String optional(Variable v) {
        return v.orDefault(env);
    }

    private String optional(Variable v, String fallback) {
        String value = v.in(env);
        return value == null ? fallback : value;
    }

    private String required(Variable v) {
        String value = v.in(env);
        if (value == null) {
            problems.add("Missing required environment variable: " + v);
            return "";
        }
        return value;
    }

    private String name(Variable v) {
        String value = required(v);
        if (!value.isEmpty() && !NAME.matcher(value).matches()) {
            problems.add("Environment variable " + v + " must be 1-40 lower-case letters, digits or '_' "
                    + "(no '-', which separates app and environment in backup names): " + value);
        }
        return value;
    }

    private String label(Variable v) {
        String value = optional(v);
        if (!LABEL.matcher(value).matches()) {
            problems.add("Environment variable " + v + " must be 1-6 upper-case letters (it ends every backup name): "
                    + value);
            return v.fallback;
        }
        return value;
    }

    private int integer(Variable v, int min) {
        String value = v.in(env);
        int fallback = Integer.parseInt(v.fallback);
        if (value == null) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < min) {
                problems.add("Environment variable " + v + " must be at least " + min + ": " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            problems.add("Environment variable " + v + " must be a whole number: " + value);
            return fallback;
        }
    }

    /** Only "true" or "false": a typo ("ture", "yes") must not silently mean false. */
    private boolean bool(Variable v) {
        return switch (optional(v).toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> {
                problems.add("Environment variable " + v + " must be 'true' or 'false': " + v.in(env));
                yield Boolean.parseBoolean(v.fallback);
            }
        };
    }

    private ZoneId zone(Variable v) {
        String value = optional(v);
        try {
            return ZoneId.of(value);
        } catch (RuntimeException e) {
            problems.add("Environment variable " + v + " is not a time zone id: " + value);
            return ZoneId.of(v.fallback);
        }
    }

    private Compression compression() {
        String value = optional(Variable.BACKUP_COMPRESSION);
        try {
            return Compression.parse(value);
        } catch (IllegalArgumentException e) {
            problems.add("Environment variable BACKUP_COMPRESSION " + e.getMessage());
            return Compression.parse(Compression.DEFAULT);
        }
    }

    private Config.RestoreMode restoreMode() {
        String value = optional(Variable.RESTORE_MODE).toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return Config.RestoreMode.valueOf(value);
        } catch (IllegalArgumentException e) {
            problems.add("Environment variable RESTORE_MODE must be 'swap' or 'in-place': " + value);
            return Config.RestoreMode.SWAP;
        }
    }

    /** "*" (or unset): any environment's backups; else a comma-separated list of environment names. */
    private Set<String> restoreSources() {
        String value = optional(Variable.RESTORE_SOURCE_ENVIRONMENTS);
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

    private Config.WorkerLimits worker(Variable maxEventAge, Config.WorkerCompute compute) {
        int timeout = integer(Variable.WORKER_TIMEOUT_SECONDS, 60);
        if (timeout > compute.maxTimeout.toSeconds() && !timeoutReported) {
            timeoutReported = true;
            problems.add("Environment variable WORKER_TIMEOUT_SECONDS must be at most " + compute.maxTimeout.toSeconds()
                    + " with WORKER_COMPUTE=" + compute.label + (compute == Config.WorkerCompute.LAMBDA
                            ? " (up to 5400 with WORKER_COMPUTE=managed-instances)" : "")
                    + ": " + timeout);
        }
        return new Config.WorkerLimits(Duration.ofSeconds(timeout),
                Duration.ofSeconds(integer(maxEventAge, 60)));
    }

    private Config.WorkerCompute workerCompute() {
        String value = optional(Variable.WORKER_COMPUTE);
        for (Config.WorkerCompute compute : Config.WorkerCompute.values()) {
            if (compute.label.equals(value)) {
                return compute;
            }
        }
        problems.add("Environment variable WORKER_COMPUTE must be 'lambda' or 'managed-instances': " + value);
        return Config.WorkerCompute.LAMBDA;
    }

    private double positive(Variable v) {
        String value = v.in(env);
        double fallback = Double.parseDouble(v.fallback);
        if (value == null) {
            return fallback;
        }
        try {
            double parsed = Double.parseDouble(value);
            if (!(parsed > 0) || Double.isInfinite(parsed)) {
                problems.add("Environment variable " + v + " must be a number above 0: " + value);
                return fallback;
            }
            return parsed;
        } catch (NumberFormatException e) {
            problems.add("Environment variable " + v + " must be a number above 0: " + value);
            return fallback;
        }
    }

    /** Restore drills: the verification server's parameter (optional), row counting, the alarm's limit. */
    private DrillSettings drill(Config.WorkerCompute compute) {
        String server = optional(Variable.DRILL_DATABASE_URL_PARAMETER, "");
        if (!server.isEmpty() && !PARAMETER_NAME.matcher(server).matches()) {
            problems.add("Environment variable DRILL_DATABASE_URL_PARAMETER must be an SSM parameter name starting "
                    + "with '/' (or empty for the environment's own server): " + server);
        }
        // the drill function is a standard Lambda function: the workers' timeout on standard Lambda, 900 s when the
        // workers run on managed instances, as template.yaml sets it (read quietly: worker() reports a bad value)
        long timeout = DrillSettings.MAX_TIMEOUT.toSeconds();
        try {
            if (compute == Config.WorkerCompute.LAMBDA) {
                timeout = Math.max(60, Math.min(Long.parseLong(optional(Variable.WORKER_TIMEOUT_SECONDS)), timeout));
            }
        } catch (NumberFormatException e) {
            // reported by worker()
        }
        return new DrillSettings(server, bool(Variable.RECORD_ROW_COUNTS),
                Duration.ofDays(integer(Variable.DRILL_ALARM_DAYS, 1)),
                new Config.WorkerLimits(Duration.ofSeconds(timeout), DrillSettings.MAX_EVENT_AGE));
    }
}
