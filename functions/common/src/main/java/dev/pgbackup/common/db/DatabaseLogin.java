package dev.pgbackup.common.db;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.failure.Failure;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * One job's way into the database. A step (a JDBC connection, a tool run) gets the credentials as they are now;
 * when the database refuses them (SQLState 28P01/28000, or a tool's "password authentication failed"), the
 * source is read again, once per job, and the step runs once more with what it holds now: a password rotated
 * since it was cached. A second refusal is a {@link Refused} naming the source, never a password.
 */
public final class DatabaseLogin {
    /** JDBC's invalid password and invalid authorization (pg_hba refusals, a refused IAM token). */
    private static final Set<String> REFUSED_STATES = Set.of("28P01", "28000");
    private static final Pattern UNEXPLAINED_TOOL = Pattern.compile("could not connect to database");
    private static final Pattern REFUSED_TOOL = Pattern.compile("(password|PAM) authentication failed",
            Pattern.CASE_INSENSITIVE);

    /** The database refused the credentials again after they were read again. */
    public static final class Refused extends Failure {
        private final String reason;

        Refused(String reason, String diagnostic) {
            super(Kind.SERVER, Character.toUpperCase(reason.charAt(0)) + reason.substring(1), diagnostic);
            this.reason = reason;
        }

        /** The message as a clause: "the database refused the credentials from ... (re-read once ...)". */
        public String clause() {
            return reason;
        }
    }

    /** A step that connects with the credentials it is given. */
    @FunctionalInterface
    public interface Step<T> {
        T run(DbConnection connection) throws SQLException;
    }

    private final DatabaseLogins logins;
    private final List<String> secrets = new CopyOnWriteArrayList<>();
    private volatile int rereads;

    DatabaseLogin(DatabaseLogins logins) {
        this.logins = logins;
    }

    /** The credentials for a connection or a tool starting now (an IAM token is made for each). */
    public DbConnection connection() {
        return remember(logins.current());
    }

    /**
     * Runs {@code step}; if the database refuses the credentials, reads the source again (the first time in this
     * job) and runs it once more. Other failures pass through unchanged.
     */
    public <T> T attempt(Step<T> step) throws SQLException {
        try {
            return step.run(connection());
        } catch (SQLException | RuntimeException e) {
            if (!refused(e)) {
                throw e;
            }
            if (rereads > 0) {
                throw refusal(e);
            }
            rereads++;
            DbConnection fresh = remember(logins.reread());
            try {
                return step.run(fresh);
            } catch (SQLException | RuntimeException again) {
                if (refused(again)) {
                    throw refusal(again);
                }
                throw again;
            }
        }
    }

    /**
     * {@link #attempt} for a step that throws no SQLException: a tool run, whose refusal is in its stderr (or, where
     * the tool does not say why it could not connect, found by connecting once with the same credentials).
     */
    public <T> T attemptTool(java.util.function.Function<DbConnection, T> step) {
        try {
            return attempt(db -> {
                try {
                    return step.apply(db);
                } catch (Failure f) {
                    throw explained(f, db);
                }
            });
        } catch (SQLException e) {
            throw new IllegalStateException("a tool step threw " + e.getClass().getSimpleName(), e);
        }
    }

    /** How many times this job read the source again (0 or 1). */
    public int rereads() {
        return rereads;
    }

    /** Every password (or token) this job used, for scrubbing its output; grows as the job connects. */
    public List<String> secrets() {
        return Collections.unmodifiableList(secrets);
    }

    /**
     * {@code failed} with the server's refusal of {@code db}'s credentials as its cause, when the tool said only that
     * it could not connect (pg_dumpall makes the connection to the database its -l names with errors off, so the
     * server's reason is not printed) and connecting now is refused.
     */
    private static Failure explained(Failure failed, DbConnection db) {
        if (failed.getCause() != null || refused(failed) || failed.diagnostic() == null
                || !UNEXPLAINED_TOOL.matcher(failed.diagnostic()).find()) {
            return failed;
        }
        try (java.sql.Connection ignored = db.open()) {
            return failed;
        } catch (SQLException e) {
            if (refused(e)) {
                failed.initCause(e);
            }
            return failed;
        }
    }

    /** Whether a failure is the database refusing the credentials. */
    public static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && REFUSED_STATES.contains(sql.getSQLState())) {
                return true;
            }
            if (t instanceof Failure f && f.diagnostic() != null && REFUSED_TOOL.matcher(f.diagnostic()).find()) {
                return true;
            }
        }
        return false;
    }

    private Refused refusal(Throwable e) {
        String detail = e instanceof Failure f && f.diagnostic() != null ? f.diagnostic()
                : String.valueOf(e.getMessage());
        return new Refused("the database refused the credentials from " + logins.describe()
                + " (re-read once after a possible rotation)", Redactor.scrub(detail, secrets));
    }

    private DbConnection remember(DbConnection connection) {
        if (connection.password() != null && !secrets.contains(connection.password())) {
            secrets.add(connection.password());
        }
        return connection;
    }
}
