package dev.pgbackup.common.config;

import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.failure.Verdict;
import java.time.Duration;
import java.util.Locale;

/**
 * Whether a backup of a database of a given size can finish within the time a backup worker of this stack
 * has, at the rate backups run (measured by the benchmark, a stack parameter). Asked before pg_dump starts,
 * so that a database too big for the window is refused in a second with a reason, instead of failing when
 * the window ends after 15 or 90 minutes.
 */
public record BackupWindow(Duration window, double megabytesPerSecond, Config.WorkerCompute compute) {

    /** How long a backup of {@code databaseBytes} takes at the configured rate. */
    Duration estimate(long databaseBytes) {
        return Duration.ofMillis((long) Math.ceil(databaseBytes / (megabytesPerSecond * 1000.0)));
    }

    boolean fits(long databaseBytes) {
        return estimate(databaseBytes).compareTo(window) <= 0;
    }

    /** Refuses (422) a database that does not fit; {@code source} says where its size comes from. */
    public void check(String environment, long databaseBytes, String source) {
        if (fits(databaseBytes)) {
            return;
        }
        String advice = compute == Config.WorkerCompute.LAMBDA
                ? "Run the workers on Lambda Managed Instances (stack parameter WorkerCompute=managed-instances, "
                        + "WorkerTimeoutSeconds up to 5400), or set BackupRateMBps to a rate measured on this database"
                : "Set BackupRateMBps to a rate measured on this database if it is faster; beyond 90 minutes a backup "
                        + "needs a container task (see docs/limits.md, 'Beyond 90 minutes')";
        throw new Failure(Failure.Kind.UNPROCESSABLE, Verdict.BACKUP_REFUSED, "the database of '" + environment
                + "' is " + gigabytes(databaseBytes) + " (" + source + "); at " + rate() + " a backup takes about "
                + minutes(estimate(databaseBytes)) + ", longer than the " + minutes(window) + " a backup may run on "
                + "this stack. Nothing was started. " + advice);
    }

    private String rate() {
        return new java.math.BigDecimal(megabytesPerSecond).round(new java.math.MathContext(3)).stripTrailingZeros()
                .toPlainString() + " MB/s";
    }

    static String gigabytes(long bytes) {
        return bytes >= 1e9 ? String.format(Locale.ROOT, "%.1f GB", bytes / 1e9)
                : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    static String minutes(Duration d) {
        long seconds = d.toSeconds();
        return seconds < 120 ? seconds + " s" : (seconds + 30) / 60 + " min";
    }
}
