package dev.pgbackup.common.config;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Every environment variable the functions read: the one declaration of their names, defaults and meaning. The
 * readers (ConfigReader, DatabaseSource, DumpScope, EncryptionSettings, Notifications, AwsClients, PgTools) take a
 * constant of this enum, never a string, so nothing reads a variable that is not declared here. Tests hold it
 * against template.yaml (every {@link Source#TEMPLATE} variable is set by the template, and the template sets
 * nothing else) and against the Configuration table of docs/configuration.md.
 */
public enum Variable {
    APP_NAME(null, "first part of every backup name; lower-case letters, digits, '_' (no '-')"), ENVIRONMENT(null,
            "the environment this stack backs up and restores into"), BUCKET_NAME(null,
                    "the (shared) backup bucket"), BACKUP_KMS_KEY_ID(null,
                            "this environment's KMS key: archives and manifests are written with SSE-KMS under it"), CLIENT_SIDE_ENCRYPTION(
                                    "false",
                                    "true: the backup worker also encrypts the archive stream (AWS Encryption SDK)"), DB_URL_PARAMETER(
                                            null,
                                            "SSM SecureString holding the database URL (or DB_SECRET_ARN)"), DB_SECRET_ARN(
                                                    null,
                                                    "Secrets Manager secret with the database credentials in the RDS JSON shape"), DB_HOST(
                                                            null,
                                                            "with DB_SECRET_ARN: the endpoint the secret lacks or that overrides it"), DB_PORT(
                                                                    null,
                                                                    "with DB_SECRET_ARN: the port (else the secret's, else 5432)"), DB_NAME(
                                                                            null,
                                                                            "with DB_SECRET_ARN: the database"), DB_CONNECTION_OPTIONS(
                                                                                    DatabaseSource.DEFAULT_OPTIONS,
                                                                                    "with DB_SECRET_ARN: sslmode and sslrootcert"), DB_IAM_AUTH(
                                                                                            "false",
                                                                                            "true: connect with IAM database authentication tokens"), DB_USER(
                                                                                                    null,
                                                                                                    "with DB_IAM_AUTH: the database user"), JWT_SECRET_PARAMETER(
                                                                                                            null,
                                                                                                            "SSM SecureString holding the HS256 secret of the tokens"), RESTORE_PASSKEY_PARAMETER(
                                                                                                                    null,
                                                                                                                    "SSM SecureString holding the restore passkey"), SECRET_CACHE_SECONDS(
                                                                                                                            "120",
                                                                                                                            "how long a SecureString or secret read is reused"), RETENTION_COUNT(
                                                                                                                                    "30",
                                                                                                                                    "scheduled backups kept per environment"), ON_DEMAND_RETENTION_COUNT(
                                                                                                                                            "10",
                                                                                                                                            "on-demand backups kept per environment"), ON_DEMAND_RETENTION_DAYS(
                                                                                                                                                    "7",
                                                                                                                                                    "the longest an on-demand backup is kept"), RETENTION_DAILY_DAYS(
                                                                                                                                                            "0",
                                                                                                                                                            "grandfather-father-son: days with a backup kept"), RETENTION_WEEKLY_WEEKS(
                                                                                                                                                                    "0",
                                                                                                                                                                    "grandfather-father-son: ISO weeks with a backup kept"), RETENTION_MONTHLY_MONTHS(
                                                                                                                                                                            "0",
                                                                                                                                                                            "grandfather-father-son: months with a backup kept"), RETENTION_MIN_COUNT(
                                                                                                                                                                                    "3",
                                                                                                                                                                                    "with a tier on, newest scheduled backups always kept"), EVENT_BUS_NAME(
                                                                                                                                                                                            null,
                                                                                                                                                                                            "EventBridge bus for one event per finished job"), NOTIFICATION_TOPIC_ARN(
                                                                                                                                                                                                    null,
                                                                                                                                                                                                    "SNS topic for a message per failed job"), BACKUP_COMPRESSION(
                                                                                                                                                                                                            Compression.DEFAULT,
                                                                                                                                                                                                            "zstd[:level], lz4[:level], gzip[:level] or none"), BACKUP_INCLUDE_SCHEMAS(
                                                                                                                                                                                                                    null,
                                                                                                                                                                                                                    "schemas the backups keep only"), BACKUP_EXCLUDE_SCHEMAS(
                                                                                                                                                                                                                            null,
                                                                                                                                                                                                                            "schemas the backups leave out"), BACKUP_EXCLUDE_TABLE_DATA(
                                                                                                                                                                                                                                    null,
                                                                                                                                                                                                                                    "tables whose rows the backups leave out"), RESTORE_SOURCE_ENVIRONMENTS(
                                                                                                                                                                                                                                            "*",
                                                                                                                                                                                                                                            "environments whose backups may be restored here"), BACKUP_TIME_ZONE(
                                                                                                                                                                                                                                                    "Asia/Kolkata",
                                                                                                                                                                                                                                                    "time zone of backup names"), BACKUP_TIME_ZONE_LABEL(
                                                                                                                                                                                                                                                            "IST",
                                                                                                                                                                                                                                                            "label ending every backup name"), WAIT_BUDGET_SECONDS(
                                                                                                                                                                                                                                                                    "20",
                                                                                                                                                                                                                                                                    "how long the API waits for a job before answering 202"), RECENT_BACKUP_MINUTES(
                                                                                                                                                                                                                                                                            "5",
                                                                                                                                                                                                                                                                            "a restore needs a backup of this environment this recent"), BACKUP_LOCK_WAIT_SECONDS(
                                                                                                                                                                                                                                                                                    "120",
                                                                                                                                                                                                                                                                                    "how long pg_dump waits for each table's lock before the backup fails"), RESTORE_MODE(
                                                                                                                                                                                                                                                                                            "swap",
                                                                                                                                                                                                                                                                                            "swap or in-place"), KEEP_PRE_RESTORE_COPY(
                                                                                                                                                                                                                                                                                                    "true",
                                                                                                                                                                                                                                                                                                    "swap mode keeps the replaced database"), PRE_RESTORE_COPIES_TO_KEEP(
                                                                                                                                                                                                                                                                                                            "1",
                                                                                                                                                                                                                                                                                                            "pre-restore copies kept on the server"), RESTORE_COPY_EXPIRY_HOURS(
                                                                                                                                                                                                                                                                                                                    "24",
                                                                                                                                                                                                                                                                                                                    "a database restored beside the current one is dropped after this long"), RESTORE_COPIES_TO_KEEP(
                                                                                                                                                                                                                                                                                                                            "2",
                                                                                                                                                                                                                                                                                                                            "databases restored beside the current one kept at once (the oldest is dropped)"), REFRESH_SOURCE_ENVIRONMENT(
                                                                                                                                                                                                                                                                                                                                    null,
                                                                                                                                                                                                                                                                                                                                    "the environment the scheduled refresh restores from (empty: no refresh)"), SANITIZE_SCRIPT_PARAMETER(
                                                                                                                                                                                                                                                                                                                                            null,
                                                                                                                                                                                                                                                                                                                                            "SSM parameter holding the SQL run inside a restore of another environment's backup"), SANITIZE_SCRIPT_S3_KEY(
                                                                                                                                                                                                                                                                                                                                                    null,
                                                                                                                                                                                                                                                                                                                                                    "object under pgbackup/sanitize/<app>-<env>/ holding that SQL (or the parameter)"), DB_INSTANCE_IDENTIFIER(
                                                                                                                                                                                                                                                                                                                                                            null,
                                                                                                                                                                                                                                                                                                                                                            "the RDS instance whose free storage restores and drills check"), FREE_SPACE_MARGIN_PERCENT(
                                                                                                                                                                                                                                                                                                                                                                    "20",
                                                                                                                                                                                                                                                                                                                                                                    "room needed beyond the backup's database size"), DRILL_DATABASE_URL_PARAMETER(
                                                                                                                                                                                                                                                                                                                                                                            null,
                                                                                                                                                                                                                                                                                                                                                                            "SSM SecureString of a verification server for drills"), DRILL_ALARM_DAYS(
                                                                                                                                                                                                                                                                                                                                                                                    "8",
                                                                                                                                                                                                                                                                                                                                                                                    "the drill watch's limit"), RECORD_ROW_COUNTS(
                                                                                                                                                                                                                                                                                                                                                                                            "true",
                                                                                                                                                                                                                                                                                                                                                                                            "backups count every table's rows for drills to compare"), REQUIRED_ROLE(
                                                                                                                                                                                                                                                                                                                                                                                                    "WEB_ACCESS",
                                                                                                                                                                                                                                                                                                                                                                                                    "role the token must carry"), ROLES_CLAIM(
                                                                                                                                                                                                                                                                                                                                                                                                            "roles",
                                                                                                                                                                                                                                                                                                                                                                                                            "the token claim holding the roles"), JWT_MAX_LIFETIME_HOURS(
                                                                                                                                                                                                                                                                                                                                                                                                                    "12",
                                                                                                                                                                                                                                                                                                                                                                                                                    "tokens living longer are refused"), JWT_AUDIENCE(
                                                                                                                                                                                                                                                                                                                                                                                                                            null,
                                                                                                                                                                                                                                                                                                                                                                                                                            "required aud claim"), JWT_ISSUER(
                                                                                                                                                                                                                                                                                                                                                                                                                                    null,
                                                                                                                                                                                                                                                                                                                                                                                                                                    "required iss claim"), RESTORE_JOBS(
                                                                                                                                                                                                                                                                                                                                                                                                                                            "0",
                                                                                                                                                                                                                                                                                                                                                                                                                                            "pg_restore jobs: 0 = chosen from the table of contents, 1 = streamed, N = N jobs"), WORKER_TIMEOUT_SECONDS(
                                                                                                                                                                                                                                                                                                                                                                                                                                                    "900",
                                                                                                                                                                                                                                                                                                                                                                                                                                                    "the workers' timeout: deadlines and staleness follow it"), WORKER_COMPUTE(
                                                                                                                                                                                                                                                                                                                                                                                                                                                            "lambda",
                                                                                                                                                                                                                                                                                                                                                                                                                                                            "lambda or managed-instances"),
    /** benchmarks/ measured 73.7-85.4 MB/s with zstd:3 (2 cores): rounded down, as too high a rate lets a backup
     *  through that then runs out of time. */
    BACKUP_RATE_MB_PER_SECOND("70",
            "database MB a backup gets through per second"), BACKUP_WORKER_MAX_EVENT_AGE_SECONDS("900",
                    "the backup worker's EventInvokeConfig"), RESTORE_WORKER_MAX_EVENT_AGE_SECONDS("300",
                            "the restore worker's EventInvokeConfig"), BACKUP_WORKER_FUNCTION(null,
                                    "the backup worker the backup API invokes (the API function only)"), RESTORE_WORKER_FUNCTION(
                                            null,
                                            "the restore worker the restore API invokes (the API function only)"), PG_TOOLS_DIR(
                                                    "/opt", "where the layer's bin/, lib/, certs/ are"),

    AWS_ENDPOINT_URL(null, "an emulator's endpoint for every client", Source.LOCAL), S3_FORCE_PATH_STYLE("false",
            "path-style S3 addressing (emulators)", Source.LOCAL),

    JAVA_TOOL_OPTIONS(null, "the JVM's flags (tiered compilation stopped at C1 for cold starts)", Source.JVM),

    PATH(null, "handed to pg_dump and pg_restore", Source.RUNTIME), LD_LIBRARY_PATH(null,
            "handed to pg_dump and pg_restore, the layer's lib/ first",
            Source.RUNTIME), LANG(null, "handed to pg_dump and pg_restore", Source.RUNTIME), LC_ALL(null,
                    "handed to pg_dump and pg_restore",
                    Source.RUNTIME), TZ(null, "handed to pg_dump and pg_restore", Source.RUNTIME);

    /** Who sets a variable. */
    public enum Source {
        /** template.yaml, from the stack's parameters: the product's configuration. */
        TEMPLATE,
        /** only a local run or a test (an emulator): never set in AWS. */
        LOCAL,
        /** template.yaml, for the JVM itself rather than the code. */
        JVM,
        /** the Lambda runtime; the code only passes it on to the tools it starts. */
        RUNTIME
    }

    /** The value when unset or blank (null: none; the reader decides whether that is allowed). */
    public final String fallback;
    public final String meaning;
    public final Source source;

    Variable(String fallback, String meaning) {
        this(fallback, meaning, Source.TEMPLATE);
    }

    Variable(String fallback, String meaning, Source source) {
        this.fallback = fallback;
        this.meaning = meaning;
        this.source = source;
    }

    /** The value in {@code env}, trimmed; null when unset or blank. */
    public String in(Map<String, String> env) {
        String value = env.get(name());
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** The value in {@code env}, or the default. */
    public String orDefault(Map<String, String> env) {
        String value = in(env);
        return value == null ? fallback : value;
    }

    public static List<Variable> from(Source source) {
        return Arrays.stream(values()).filter(v -> v.source == source).toList();
    }
}
