package dev.pgbackup.restore;

import dev.pgbackup.common.db.DatabaseLogin;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.time.Deadline;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Planner statistics for a newly restored database, before anyone uses it: pg_restore leaves none, and until
 * autovacuum gets to each table (minutes, on a busy server longer) every query after a refresh is planned blind. Runs
 * after the sanitising script, so the statistics describe the data people will see. Statistics make things faster,
 * not correct: when ANALYZE cannot finish in the time left before the swap, the restore goes on without them and says so.
 * With more than one connection the tables are shared among them, largest first (as {@code vacuumdb --jobs} does):
 * ANALYZE of one database runs on one server core otherwise.
 */
final class Statistics {
    /**
     * What ANALYZE without a list would analyse, largest first, each once: a partitioned table's ANALYZE also analyses
     * its partitions, so the partitions are not listed on their own and the parent weighs what they hold; shared
     * catalogs are the server's, not this database's (their owner alone may analyse them).
     */
    private static final String TABLES = "select c.oid::regclass::text, case when c.relkind = 'p' then (select "
            + "coalesce(sum(pg_relation_size(t.relid)), 0) from pg_partition_tree(c.oid) t) else pg_relation_size(c.oid) "
            + "end from pg_class c where c.relkind in ('r', 'm', 'p') and c.relpersistence <> 't' "
            + "and not c.relispartition and not c.relisshared order by 2 desc, 1";

    private Statistics() {}

    /**
     * ANALYZE of {@code database} on up to {@code connections} connections; what did not happen goes into
     * {@code notes}. Only a refused login throws (the caller reads the password again); a listing that cannot be read
     * throws like any other failure to reach the new database.
     */
    static void analyze(DbConnection database, Deadline deadline, List<String> notes, int connections)
            throws SQLException {
        long seconds = deadline.remaining().minus(SwapProtocol.MIN_TIME).toSeconds();
        if (seconds < 1) {
            notes.add("statistics not gathered: no time was left for ANALYZE (autovacuum gathers them later)");
            return;
        }
        List<List<String>> shares = connections > 1 ? shares(database, connections) : List.of(List.of());
        ExecutorService pool = Executors.newFixedThreadPool(shares.size());
        try {
            List<Future<SQLException>> runs = new ArrayList<>();
            for (List<String> tables : shares) {
                runs.add(pool.submit(() -> run(database, tables, seconds)));
            }
            // every run waited for, whatever the others did: none may keep a connection past the step
            SQLException failed = null;
            SQLException refused = null;
            for (Future<SQLException> run : runs) {
                SQLException e = outcome(run);
                if (DatabaseLogin.refused(e)) {
                    refused = refused == null ? e : refused;
                } else if (failed == null) {
                    failed = e;
                }
            }
            if (refused != null) {
                throw refused; // the password was refused: the caller reads it again and retries once
            }
            if (failed != null) {
                notes.add("statistics not gathered: ANALYZE " + ("57014".equals(failed.getSQLState())
                        ? "did not finish in the time left" : "failed with SQLSTATE " + failed.getSQLState())
                        + " (autovacuum gathers them later)");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * ANALYZE of {@code tables} (all, when empty); any failure returned. A refused login (the caller may retry with
     * a password read again) is told apart by its SQLSTATE; any other failure to connect — the server's connection
     * limit on a small instance, say — only costs the statistics, like a failed ANALYZE.
     */
    private static SQLException run(DbConnection database, List<String> tables, long seconds) {
        try (Connection c = database.open(); Statement s = c.createStatement()) {
            s.setQueryTimeout((int) Math.min(Integer.MAX_VALUE, seconds));
            // ANALYZE commits each table on its own: on a server's own disk, waiting for every commit's WAL flush cost
            // 40% of the step over 2,000 small tables here (0.76 s against 0.46 s), more where a flush is dearer. These
            // commits write statistics alone, and a crash can lose only the last of them: the restore's own commits,
            // and the swap's after them, still wait for their flush, which takes these along.
            s.execute("set synchronous_commit = off");
            s.execute(tables.isEmpty() ? "ANALYZE" : "ANALYZE " + String.join(", ", tables));
            return null;
        } catch (SQLException e) {
            return e;
        }
    }

    private static SQLException outcome(Future<SQLException> run) {
        try {
            return run.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new SQLException("interrupted", "57014");
        }
    }

    /** The tables dealt to {@code n} connections, each next one to the least loaded by size. */
    private static List<List<String>> shares(DbConnection database, int n) throws SQLException {
        List<List<String>> shares = new ArrayList<>();
        long[] bytes = new long[n];
        for (int i = 0; i < n; i++) {
            shares.add(new ArrayList<>());
        }
        try (Connection c = database.open();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(TABLES)) {
            while (rs.next()) {
                int least = 0;
                for (int i = 1; i < n; i++) {
                    least = bytes[i] < bytes[least] ? i : least;
                }
                shares.get(least).add(rs.getString(1));
                bytes[least] += Math.max(1, rs.getLong(2));
            }
        }
        shares.removeIf(List::isEmpty);
        return shares.isEmpty() ? List.of(List.of()) : shares;
    }
}
