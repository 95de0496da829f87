package dev.pgbackup.common;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

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
        int retentionCount,
        String dbUrlParameter,
        String jwtSecretParameter,
        String restorePasskeyParameter,
        String requiredRole,
        String rolesClaim,
        Duration waitBudget,
        Duration secretTtl,
        Duration recentBackupWindow,
        String backupWorkerFunction,
        String restoreWorkerFunction,
        String pgToolsDir,
        RestoreMode restoreMode,
        boolean keepPreRestoreCopy,
        int maxBodyBytes,
        Duration workerTimeout) {

    public enum RestoreMode { SWAP, IN_PLACE }

    /**
     * When a RUNNING job or a restore lock is considered abandoned: the worker's timeout, plus the time
     * Lambda may keep an asynchronous event queued (MaximumEventAgeInSeconds, 300 s), plus a margin.
     */
    public Duration staleAfter() {
        return workerTimeout.plus(Duration.ofMinutes(7));
    }

    /** Names must be safe inside an S3 key and a file name, and unambiguous when parsed back. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_]*(?:-[a-z0-9_]+)*");

    public static Config fromEnvironment() {
        return from(System.getenv());
    }

    public static Config from(Map<String, String> env) {
        Reader r = new Reader(env);
        Config config = new Config(
                r.appName(),
                r.name("ENVIRONMENT"),
                r.required("BUCKET_NAME"),
                r.zone("BACKUP_TIME_ZONE", "Asia/Kolkata"),
                r.optional("BACKUP_TIME_ZONE_LABEL", "IST"),
                r.integer("RETENTION_COUNT", 30, 1),
                r.required("DB_URL_PARAMETER"),
                r.required("JWT_SECRET_PARAMETER"),
                r.required("RESTORE_PASSKEY_PARAMETER"),
                r.optional("REQUIRED_ROLE", "WEB_ACCESS"),
                r.optional("ROLES_CLAIM", "roles"),
                Duration.ofSeconds(r.integer("WAIT_BUDGET_SECONDS", 20, 0)),
                Duration.ofSeconds(r.integer("SECRET_CACHE_SECONDS", 120, 0)),
                Duration.ofMinutes(r.integer("RECENT_BACKUP_MINUTES", 5, 1)),
                r.optional("BACKUP_WORKER_FUNCTION", ""),
                r.optional("RESTORE_WORKER_FUNCTION", ""),
                r.optional("PG_TOOLS_DIR", "/opt"),
                r.restoreMode(),
                Boolean.parseBoolean(r.optional("KEEP_PRE_RESTORE_COPY", "true")),
                r.integer("MAX_BODY_BYTES", 4096, 64),
                Duration.ofSeconds(r.integer("WORKER_TIMEOUT_SECONDS", 900, 10)));
        r.failIfInvalid();
        return config;
    }

    /** Collects every problem so that one deployment round trip shows them all. */
    private static final class Reader {
        private final Map<String, String> env;
        private final List<String> problems = new ArrayList<>();

        Reader(Map<String, String> env) {
            this.env = env;
        }

        String optional(String key, String fallback) {
            String value = env.get(key);
            return value == null || value.isBlank() ? fallback : value.trim();
        }

        String required(String key) {
            String value = optional(key, null);
            if (value == null) {
                problems.add("Missing required environment variable: " + key);
                return "";
            }
            return value;
        }

        /** No '-' in the app name: "a" + "b-prod" and "a-b" + "prod" would name the same backups. */
        String appName() {
            String value = name("APP_NAME");
            if (value.contains("-")) {
                problems.add("Environment variable APP_NAME must not contain '-' (it separates app and environment in backup names): " + value);
            }
            return value;
        }

        String name(String key) {
            String value = required(key);
            if (!value.isEmpty() && !NAME.matcher(value).matches()) {
                problems.add("Environment variable " + key + " must be lower-case letters, digits, '_' or '-': " + value);
            }
            return value;
        }

        int integer(String key, int fallback, int min) {
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

        ZoneId zone(String key, String fallback) {
            String value = optional(key, fallback);
            try {
                return ZoneId.of(value);
            } catch (RuntimeException e) {
                problems.add("Environment variable " + key + " is not a time zone id: " + value);
                return ZoneId.of(fallback);
            }
        }

        RestoreMode restoreMode() {
            String value = optional("RESTORE_MODE", "swap").toUpperCase(Locale.ROOT).replace('-', '_');
            try {
                return RestoreMode.valueOf(value);
            } catch (IllegalArgumentException e) {
                problems.add("Environment variable RESTORE_MODE must be 'swap' or 'in-place': " + value);
                return RestoreMode.SWAP;
            }
        }

        void failIfInvalid() {
            if (!problems.isEmpty()) {
                throw new IllegalStateException(String.join("; ", problems));
            }
        }
    }
}
