package dev.pgbackup.common.storage;

import dev.pgbackup.common.config.Config;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The backup file name contract shared with the previous implementation and its clients:
 * {@code {app}-{environment}-on-YYYY-MM-DD-at-hh-mm-ss-AM|PM-{label}.dump}, local time of the configured zone.
 */
public record BackupName(String filename, String app, String environment, LocalDateTime localTime) {
    /** Backups are never overwritten: what a caller is told when a name is taken. */
    public static String alreadyExists(String filename) {
        return "A backup named " + filename + " already exists; it was not overwritten";
    }

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd-'at'-hh-mm-ss-a",
            Locale.ENGLISH);
    private static final Pattern SUFFIX = Pattern.compile(
            "-on-(\\d{4})-(\\d{2})-(\\d{2})-at-(\\d{2})-(\\d{2})-(\\d{2})-(AM|PM)-([A-Z]{1,6})\\.dump");
    /**
     * Environments in names already in the bucket: new stacks may not use '-' in an environment name, but
     * backups written under such a name before stay listable and restorable.
     */
    private static final Pattern LEGACY_ENVIRONMENT = Pattern.compile("[a-z0-9][a-z0-9_]*(?:-[a-z0-9_]+)*");
    /** Bounds every name we accept before any regex or S3 call sees it. */
    public static final int MAX_LENGTH = 200;
    /**
     * The shape of a backup name, exactly as docs/openapi.yaml states it (BackupFileName): an app, an environment,
     * a stamp of digits. A pattern cannot say whose app it is or whether the date exists: a name of this shape that
     * {@link #parse} rejects is simply not a backup, so a caller asking for it is told it was not found.
     */
    private static final Pattern SHAPE = Pattern.compile("[a-z0-9][a-z0-9_]*-[a-z0-9][a-z0-9_]*(?:-[a-z0-9_]+)*"
            + "-on-\\d{4}-\\d{2}-\\d{2}-at-\\d{2}-\\d{2}-\\d{2}-(?:AM|PM)-[A-Z]{1,6}\\.dump");
    /** The shortest stamp a name ends with: {@code -on-YYYY-MM-DD-at-hh-mm-ss-AM-Z.dump}. */
    private static final int SHORTEST_STAMP = 36;
    /** The longest environment a name can carry: what a one-letter app, its '-' and the shortest stamp leave. */
    public static final int MAX_ENVIRONMENT_LENGTH = MAX_LENGTH - 2 - SHORTEST_STAMP;

    /** Whether {@code filename} has the shape of a backup name (not whether it is one: see {@link #parse}). */
    public static boolean isWellFormed(String filename) {
        return filename != null && filename.length() <= MAX_LENGTH && SHAPE.matcher(filename).matches();
    }

    /** Whether {@code environment} can be the environment of a backup name (older names may contain '-'). */
    public static boolean isEnvironment(String environment) {
        return environment != null && environment.length() <= MAX_ENVIRONMENT_LENGTH
                && LEGACY_ENVIRONMENT.matcher(environment).matches();
    }

    public static BackupName create(Config config, Instant when) {
        return create(config.appName(), config.environment(), config.timeZone(), config.timeZoneLabel(), when);
    }

    public static BackupName create(String app, String environment, java.time.ZoneId zone, String label, Instant when) {
        ZonedDateTime local = when.atZone(zone);
        String filename = app + "-" + environment + "-on-" + STAMP.format(local) + "-" + label + ".dump";
        return new BackupName(filename, app, environment, local.toLocalDateTime().withNano(0));
    }

    /**
     * Parses a name of this app's backups, whatever its environment; anything else (another app,
     * a path, a job record, an encoded trick) is empty.
     */
    public static Optional<BackupName> parse(String appName, String filename) {
        if (filename == null || filename.length() > MAX_LENGTH || !filename.startsWith(appName + "-")) {
            return Optional.empty();
        }
        String rest = filename.substring(appName.length() + 1);
        Matcher m = SUFFIX.matcher(rest);
        if (!m.find()) {
            return Optional.empty();
        }
        // the stamp must end the name, and only one environment segment may precede it
        int start = m.start();
        if (m.end() != rest.length() || start == 0) {
            return Optional.empty();
        }
        String environment = rest.substring(0, start);
        if (!LEGACY_ENVIRONMENT.matcher(environment).matches()) {
            return Optional.empty();
        }
        try {
            int hour12 = Integer.parseInt(m.group(4));
            if (hour12 < 1 || hour12 > 12) {
                return Optional.empty();
            }
            int hour = hour12 % 12 + ("PM".equals(m.group(7)) ? 12 : 0);
            LocalDateTime time = LocalDateTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), hour, Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)));
            return Optional.of(new BackupName(filename, appName, environment, time));
        } catch (java.time.DateTimeException e) {
            return Optional.empty();
        }
    }
}
