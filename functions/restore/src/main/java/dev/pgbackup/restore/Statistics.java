package dev.pgbackup.restore;

import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.time.Deadline;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Planner statistics for a newly restored database, before anyone uses it: pg_restore leaves none, and until
 * autovacuum gets to each table (minutes, on a busy server longer) every query after a refresh is planned blind. Runs
 * after the sanitising script, so the statistics describe the data people will see. Statistics make things faster,
 * not correct: when ANALYZE cannot finish in the time left before the swap, the restore goes on without them and says so.
 */
final class Statistics {
    private Statistics() {
    }

    /** ANALYZE of {@code database}; what did not happen goes into {@code notes}. A connection failure throws. */
    static void analyze(DbConnection database, Deadline deadline, List<String> notes) throws SQLException {
        long seconds = deadline.remaining().minus(SwapProtocol.MIN_TIME).toSeconds();
        if (seconds < 1) {
            notes.add("statistics not gathered: no time was left for ANALYZE (autovacuum gathers them later)");
            return;
        }
        try (Connection c = database.open(); Statement s = c.createStatement()) {
            s.setQueryTimeout((int) Math.min(Integer.MAX_VALUE, seconds));
            try {
                s.execute("ANALYZE");
            } catch (SQLException e) {
                notes.add("statistics not gathered: ANALYZE " + ("57014".equals(e.getSQLState())
                        ? "did not finish in the time left" : "failed with SQLSTATE " + e.getSQLState())
                        + " (autovacuum gathers them later)");
            }
        }
    }
}
