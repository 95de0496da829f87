package dev.pgbackup.restore;

import static dev.pgbackup.common.failure.Verdict.RESTORE_REFUSED;

import dev.pgbackup.common.Hashes;
import dev.pgbackup.common.auth.SecretSource;
import dev.pgbackup.common.config.RefreshSettings;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.ObjectStore;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's sanitising script (SANITIZE_SCRIPT_PARAMETER or SANITIZE_SCRIPT_S3_KEY), run inside a newly restored
 * database before anything else sees it: before ANALYZE, before the swap gives it the environment's name, and before a
 * copy is handed to anyone. It runs on every restore of another environment's backup (a refresh of staging from
 * production) and never on a restore of this environment's own backup, which is a recovery and must not be masked.
 * It runs as the restore's database user, in one transaction; if it fails, the restore fails and the new database is
 * dropped. Its source and SHA-256 are reported; its text never leaves this class (not in logs, messages or records).
 */
final class Sanitizer {
    /** A larger script is refused (an SSM parameter holds at most 8 KB; an S3 object could be anything). */
    static final int MAX_BYTES = 1024 * 1024;
    /** The script's statements must leave this much of the job's time for what follows (ANALYZE, the swap). */
    static final Duration RESERVED = SwapProtocol.MIN_TIME;
    private static final Map<String, String> CONDITIONS = Map.of(
            "42601", "a syntax error", "42P01", "a table that does not exist", "42703", "a column that does not exist",
            "42883", "a function that does not exist", "23505", "a duplicate key", "23502",
            "a null in a NOT NULL column",
            "23503", "a foreign key violation", "42501", "a missing privilege", "57014",
            "a statement cancelled (time)");

    /** The script as read: where from, its checksum, and its text (which {@link #toString} leaves out). */
    record Script(String source, String sha256, String sql) {
        String describe() {
            return source + " (sha256 " + sha256 + ")";
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    private final RefreshSettings settings;
    private final SecretSource parameters;
    private final ObjectStore objects;
    private final String environment;

    Sanitizer(RefreshSettings settings, SecretSource parameters, ObjectStore objects, String environment) {
        this.settings = settings;
        this.parameters = parameters;
        this.objects = objects;
        this.environment = environment;
    }

    /**
     * The script a restore of {@code backup} runs, read before any database is touched: only for another environment's
     * backup, and only when one is configured ({@code notes} says when one is configured but not run). A script that
     * cannot be read refuses the restore: another environment's data never lands here unmasked because SSM hiccuped.
     */
    Optional<Script> scriptFor(BackupObject backup, String target, List<String> notes) {
        if (!settings.sanitizes()) {
            return Optional.empty();
        }
        if (backup.environment().equals(environment)) {
            notes.add("sanitising script not run: the backup is this environment's own (a recovery is not masked)");
            return Optional.empty();
        }
        String source = settings.sanitizeParameter() != null ? "ssm:" + settings.sanitizeParameter()
                : "s3:" + settings.sanitizeS3Key();
        byte[] bytes;
        try {
            bytes = settings.sanitizeParameter() != null
                    ? parameters.get(settings.sanitizeParameter()).getBytes(StandardCharsets.UTF_8)
                    : objects.get(settings.sanitizeS3Key(), MAX_BYTES).map(ObjectStore.Stored::bytes).orElse(null);
        } catch (Failure f) {
            throw unreadable(target, source, f.getMessage(), f.diagnostic());
        } catch (RuntimeException e) {
            throw unreadable(target, source, e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
        }
        if (bytes == null) {
            throw unreadable(target, source, "it does not exist", null);
        }
        String sql = new String(bytes, StandardCharsets.UTF_8);
        if (sql.isBlank()) {
            throw unreadable(target, source, "it is empty", null);
        }
        return Optional.of(new Script(source, Hashes.hex(Hashes.sha256(bytes)), sql));
    }

    private static RestoreFailure unreadable(String target, String source, String why, String diagnostic) {
        return RestoreFailure.unchanged(target, RESTORE_REFUSED,
                "the sanitising script " + source + " could not be read ("
                        + why + "); a backup of another environment is never restored without it",
                diagnostic);
    }

    /**
     * Runs the script in {@code database} (the new one) as one transaction, within the time left less what the swap
     * needs. A connection that cannot be opened throws SQLException (the caller's connection failures); anything the
     * script does wrong is a {@link RestoreFailure} whose message names the SQLSTATE only: the server's own words (in
     * the diagnostic) can quote a row value, and its DETAIL, which quotes rows of another environment, is never kept.
     * {@code someTables}: the database holds only the tables a table-only restore chose, which a script written for
     * the whole database may name.
     */
    void run(DbConnection database, Script script, Deadline deadline, String target, boolean someTables)
            throws SQLException {
        long seconds = deadline.remaining().minus(RESERVED).toSeconds();
        if (seconds < 1) {
            throw RestoreFailure.failed(target, "no time was left before the worker's time limit to "
                    + "run the sanitising script " + script.describe() + " (the restored copy is dropped)");
        }
        try (Connection c = database.open()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                // the whole script: pgjdbc cancels it when this runs out
                s.setQueryTimeout((int) Math.min(Integer.MAX_VALUE, seconds));
                s.execute(script.sql());
                c.commit();
            } catch (SQLException e) {
                rollbackQuietly(c);
                throw failed(target, script, e, someTables);
            }
        }
    }

    private static RestoreFailure failed(String target, Sanitizer.Script script, SQLException e, boolean someTables) {
        String state = e.getSQLState() == null ? "unknown" : e.getSQLState();
        String condition = CONDITIONS.get(state);
        if (someTables && "42P01".equals(state)) {
            condition += ": this restore has only some tables, and the script names one it does not have; guard such "
                    + "statements with to_regclass(...), as docs/refresh.md \"Sanitising\" shows";
        }
        String primary = e instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null
                ? p.getServerErrorMessage().getMessage() : e.getClass().getSimpleName();
        return RestoreFailure.failed(target, "the sanitising script " + script.describe()
                + " failed with SQLSTATE " + state + (condition == null ? "" : " (" + condition + ")")
                + " (the restored database is dropped)",
                "sanitising script: ERROR " + state
                        + ": " + primary);
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection closes next; the database is dropped anyway
        }
    }
}
