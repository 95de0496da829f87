package dev.pgbackup.backup;

import dev.pgbackup.common.audit.Redactor;
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

/**
 * The rows of every table a backup dumps, exact for the archive: a REPEATABLE READ transaction exports its
 * snapshot, counts in it, and stays open while pg_dump dumps that same snapshot ({@code --snapshot}), so the
 * counts and the archive see the same rows whatever commits meanwhile. Counting is bounded: more than
 * {@code maxTables} tables ({@link dev.pgbackup.common.storage.RowCounts#MAX_TABLES}), or longer than its budget,
 * and the backup goes on without counts (a note says why); the counts are never worth a failed backup.
 */
final class SnapshotCounts implements AutoCloseable {
    private final Connection connection;
    private final String snapshot;
    private final Map<String, Long> counts;
    private final String note;

    private SnapshotCounts(Connection connection, String snapshot, Map<String, Long> counts, String note) {
        this.connection = connection;
        this.snapshot = snapshot;
        this.counts = counts;
        this.note = note;
    }

    /** No counting (switched off): pg_dump takes its own snapshot. */
    static SnapshotCounts off() {
        return new SnapshotCounts(null, null, null, null);
    }

    /**
     * Exports a snapshot and counts in it within {@code budget}. A failure to do either leaves pg_dump to take its
     * own snapshot (the dump itself then reports a database that is really unreachable).
     */
    static SnapshotCounts take(DbConnection db, int maxTables, Duration budget, List<String> secrets) {
        Connection c = null;
        try {
            c = db.open();
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            String snapshot = single(c, "select pg_export_snapshot()");
            // as pg_dump does: a table that row security would filter fails both instead of counting fewer rows
            execute(c, "set local row_security = off");
            // the transaction idles while pg_dump runs; a server-side idle limit must not end it before pg_dump imports
            execute(c, "set local idle_in_transaction_session_timeout = 0");
            return counted(c, snapshot, maxTables, budget);
        } catch (SQLException e) {
            close(c);
            String why = Redactor.scrub(String.valueOf(e.getMessage()), secrets).replaceAll("\\s+", " ");
            return new SnapshotCounts(null, null, null, "row counts not recorded: the counting snapshot could not be "
                    + "taken (" + why + ")");
        }
    }

    private static SnapshotCounts counted(Connection c, String snapshot, int maxTables, Duration budget)
            throws SQLException {
        List<TableCounts.Table> tables = TableCounts.dataTables(c);
        if (tables.size() > maxTables) {
            return new SnapshotCounts(c, snapshot, null, "row counts not recorded: " + tables.size()
                    + " tables, more than the " + maxTables + " a backup counts");
        }
        if (budget.toMillis() < 1) {
            return new SnapshotCounts(c, snapshot, null, "row counts not recorded: no time left to count");
        }
        // a count that runs out of budget is undone to the savepoint: the transaction, and with it the snapshot
        // pg_dump is about to import, stays alive
        execute(c, "savepoint counting");
        try {
            Map<String, Long> counts = TableCounts.count(c, tables, budget);
            execute(c, "release savepoint counting");
            return new SnapshotCounts(c, snapshot, counts, null);
        } catch (SQLException e) {
            execute(c, "rollback to savepoint counting");
            String why = "57014".equals(e.getSQLState())
                    ? "counting " + tables.size() + " tables took longer than its "
                            + String.format(java.util.Locale.ROOT, "%.1f s", budget.toMillis() / 1000.0)
                    : "counting failed (SQLSTATE " + e.getSQLState() + ")";
            return new SnapshotCounts(c, snapshot, null, "row counts not recorded: " + why);
        }
    }

    /** pg_dump's arguments to dump this snapshot (none when there is none). */
    List<String> pgDumpArguments() {
        return snapshot == null ? List.of() : List.of("--snapshot=" + snapshot);
    }

    /** "schema.table" to rows, or null when not counted. */
    Map<String, Long> counts() {
        return counts;
    }

    /** Why there are no counts, when there are none for a reason worth telling. */
    Optional<String> note() {
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

    /** Ends the transaction, and with it the exported snapshot (pg_dump has finished with it). */
    @Override
    public void close() {
        close(connection);
    }
}
