package dev.pgbackup.backup;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.db.DatabaseLogin;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.TableCounts;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The rows of every table a backup dumps, exact for the archive: a REPEATABLE READ transaction exports its
 * snapshot, locks every table (ACCESS SHARE, as pg_dump does, so no DDL can change one before it is counted), and
 * counts in it while pg_dump dumps that same snapshot ({@code --snapshot}): the counts and the archive see the same
 * rows whatever commits meanwhile, and counting costs the backup only what it takes beyond the dump. Counting is
 * bounded: more than {@code maxTables} tables ({@link dev.pgbackup.common.storage.RowCounts#MAX_TABLES}), or longer
 * than its budget, and the backup goes on without counts (a note says why); the counts are never worth a failed
 * backup.
 */
final class SnapshotCounts implements AutoCloseable {
    private final Connection connection;
    private final String snapshot;
    private final CompletableFuture<Map<String, Long>> counting;
    private final long until;
    private final int tables;
    private final Duration budget;
    private String note;

    private SnapshotCounts(Connection connection, String snapshot, CompletableFuture<Map<String, Long>> counting,
            long until, int tables, Duration budget, String note) {
        this.connection = connection;
        this.snapshot = snapshot;
        this.counting = counting;
        this.until = until;
        this.tables = tables;
        this.budget = budget;
        this.note = note;
    }

    private static SnapshotCounts without(Connection c, String snapshot, String note) {
        return new SnapshotCounts(c, snapshot, null, 0, 0, Duration.ZERO, note);
    }

    /** No counting (switched off): pg_dump takes its own snapshot. */
    static SnapshotCounts off() {
        return without(null, null, null);
    }

    /** The counting transaction, open with its snapshot exported; or why there is none ({@code note}). */
    record Opening(Connection connection, String snapshot, String note) {}

    /**
     * Opens the counting transaction through {@code login} (a refused password is read again once, like any of the
     * job's connections) and exports its snapshot. A failure leaves pg_dump to take its own snapshot (the dump itself
     * then reports a database that is really unreachable).
     */
    static Opening open(DatabaseLogin login, List<String> secrets) {
        try {
            return login.attempt(SnapshotCounts::open);
        } catch (SQLException | RuntimeException e) {
            return failed(e, secrets);
        }
    }

    private static Opening failed(Exception e, List<String> secrets) {
        return new Opening(null, null, notTaken(e, secrets));
    }

    private static String notTaken(Exception e, List<String> secrets) {
        return "row counts not recorded: the counting snapshot could not be taken ("
                + Redactor.scrub(String.valueOf(e.getMessage()), secrets).replaceAll("\\s+", " ") + ")";
    }

    private static Opening open(DbConnection db) throws SQLException {
        Connection c = db.open();
        try {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            String snapshot = single(c, "select pg_export_snapshot()");
            // as pg_dump does: a table that row security would filter fails both instead of counting fewer rows
            execute(c, "set local row_security = off");
            // the transaction idles while pg_dump runs; a server-side idle limit must not end it before pg_dump imports
            execute(c, "set local idle_in_transaction_session_timeout = 0");
            return new Opening(c, snapshot, null);
        } catch (SQLException e) {
            close(c);
            throw e;
        }
    }

    /**
     * Locks the tables in {@code opening}'s transaction and starts counting them in it, within {@code budget}; a
     * failure leaves pg_dump to take its own snapshot.
     */
    static SnapshotCounts start(Opening opening, int maxTables, Duration budget, List<String> secrets) {
        if (opening.connection() == null) {
            return without(null, null, opening.note());
        }
        try {
            return counting(opening.connection(), opening.snapshot(), maxTables, budget);
        } catch (SQLException e) {
            close(opening.connection());
            return without(null, null, notTaken(e, secrets));
        }
    }

    /** {@link #open} and {@link #start} on a connection of its own, in one step (tests). */
    static SnapshotCounts take(DbConnection db, int maxTables, Duration budget, List<String> secrets) {
        Opening opening;
        try {
            opening = open(db);
        } catch (SQLException e) {
            opening = failed(e, secrets);
        }
        return start(opening, maxTables, budget, secrets);
    }

    private static SnapshotCounts counting(Connection c, String snapshot, int maxTables, Duration budget)
            throws SQLException {
        List<TableCounts.Table> tables = TableCounts.dataTables(c);
        if (tables.size() > maxTables) {
            return without(c, snapshot, "row counts not recorded: " + tables.size() + " tables, more than the "
                    + maxTables + " a backup counts");
        }
        if (budget.toMillis() < 1) {
            return without(c, snapshot, "row counts not recorded: no time left to count");
        }
        long until = System.nanoTime() + budget.toNanos();
        // a lock or count that runs out of budget is undone to the savepoint: the transaction, and with it the
        // snapshot pg_dump imports, stays alive
        execute(c, "savepoint counting");
        try {
            TableCounts.lock(c, tables, budget);
        } catch (SQLException e) {
            return without(c, snapshot, undo(c, e, tables.size(), budget));
        }
        CompletableFuture<Map<String, Long>> counting = new CompletableFuture<>();
        Thread counter = new Thread(() -> {
            try {
                counting.complete(
                        TableCounts.count(c, tables, Duration.ofNanos(Math.max(0, until - System.nanoTime()))));
            } catch (SQLException | RuntimeException e) {
                counting.completeExceptionally(e);
            }
        }, "row-counts");
        counter.setDaemon(true);
        counter.start();
        return new SnapshotCounts(c, snapshot, counting, until, tables.size(), budget, null);
    }

    /** The counting failed (57014: out of budget): undone to the savepoint; the note says why. */
    private static String undo(Connection c, SQLException e, int tables, Duration budget) throws SQLException {
        execute(c, "rollback to savepoint counting");
        String why = "57014".equals(e.getSQLState())
                ? "counting " + tables + " tables took longer than its "
                        + String.format(java.util.Locale.ROOT, "%.1f s", budget.toMillis() / 1000.0)
                : "counting failed (SQLSTATE " + e.getSQLState() + ")";
        return "row counts not recorded: " + why;
    }

    /** pg_dump's arguments to dump this snapshot (none when there is none). */
    List<String> pgDumpArguments() {
        return snapshot == null ? List.of() : List.of("--snapshot=" + snapshot);
    }

    /**
     * "schema.table" to rows, or null when not counted: waits for the counting (within its budget; each statement's
     * timeout ends it there).
     */
    synchronized Map<String, Long> counts() {
        if (counting == null) {
            return null;
        }
        try {
            Map<String, Long> counts = counting.get(Math.max(0, until - System.nanoTime()) + 5_000_000_000L,
                    TimeUnit.NANOSECONDS);
            if (note == null) {
                execute(connection, "release savepoint counting");
            }
            return counts;
        } catch (ExecutionException e) {
            if (note == null) {
                note = e.getCause() instanceof SQLException sql ? undoQuietly(sql)
                        : "row counts not recorded: counting "
                                + "failed (" + e.getCause().getClass().getSimpleName() + ")";
            }
            return null;
        } catch (TimeoutException | SQLException e) {
            note = "row counts not recorded: counting " + tables + " tables did not end in its time";
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            note = "row counts not recorded: interrupted";
            return null;
        }
    }

    private String undoQuietly(SQLException e) {
        try {
            return undo(connection, e, tables, budget);
        } catch (SQLException again) {
            return "row counts not recorded: counting failed (SQLSTATE " + e.getSQLState() + ")";
        }
    }

    /** Why there are no counts, when there are none for a reason worth telling (known once {@link #counts()} ended). */
    synchronized Optional<String> note() {
        return Optional.ofNullable(note);
    }

    private static String single(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the transaction ends with the connection either way
            }
        }
    }

    /**
     * Ends the transaction, and with it the exported snapshot (pg_dump has finished with it); a counting still
     * running (the dump failed first) is cut off with its connection.
     */
    @Override
    public void close() {
        if (counting != null && !counting.isDone() && connection != null) {
            try {
                connection.abort(Runnable::run);
            } catch (SQLException ignored) {
                // closed below either way
            }
        }
        close(connection);
    }
}
