package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.testsupport.TestPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** ANALYZE of a restored database shared among two connections, as the restore runs it. */
class StatisticsIT {
    private static final TestPostgres pg = TestPostgres.get();

    @Test
    void everyTableThePartitionsAndTheWholePartitionedTableGetStatistics() throws Exception {
        // autovacuum off on every table that has storage: the statistics below can only be the step's own
        String db = "statistics_" + Long.toHexString(System.nanoTime());
        pg.createDatabase(db);
        pg.execute(db, """
                create table plain (id int) with (autovacuum_enabled = false);
                insert into plain select generate_series(1, 1000);
                create table events (id int, at date) partition by range (at);
                create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01')
                    with (autovacuum_enabled = false);
                create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01')
                    with (autovacuum_enabled = false);
                insert into events select g, date '2025-06-01' + (g % 400) from generate_series(1, 2000) g;
                """);
        assertEquals(List.of(), statistics(db));

        List<String> notes = new ArrayList<>();
        Statistics.analyze(pg.connection(db), Deadline.in(Duration.ofMinutes(5)), notes, 2);

        assertEquals(List.of(), notes);
        // the parent's statistics over all its partitions (inherited), and each table's own
        assertEquals(List.of("events inherited", "events_2025", "events_2026", "plain"), statistics(db));
    }

    /**
     * The statistics' commits do not wait for their WAL flush. Seen from inside ANALYZE: it evaluates an expression
     * index's function over the sampled rows, and the function notifies a listener of the session's setting.
     */
    @Test
    void analyzeCommitsWithoutWaitingForTheWalFlush() throws Exception {
        String db = "statistics_" + Long.toHexString(System.nanoTime());
        pg.createDatabase(db);
        // the embedded test server runs with synchronous_commit off; a real server's default is on
        pg.admin("alter database " + db + " set synchronous_commit = on");
        pg.execute(db, """
                create function probe(n int) returns int language plpgsql immutable as $$
                begin
                    perform pg_notify('analyze_probe', current_setting('synchronous_commit'));
                    return n;
                end $$;
                create table probed (n int) with (autovacuum_enabled = false);
                insert into probed values (1);
                create index on probed (probe(n));
                """);
        try (Connection listener = pg.connection(db).open(); Statement s = listener.createStatement()) {
            s.execute("listen analyze_probe");

            List<String> notes = new ArrayList<>();
            Statistics.analyze(pg.connection(db), Deadline.in(Duration.ofMinutes(5)), notes, 2);

            assertEquals(List.of(), notes);
            PGNotification[] seen = listener.unwrap(PGConnection.class).getNotifications(60_000);
            assertNotNull(seen, "ANALYZE did not evaluate the expression index");
            assertEquals(List.of("off"), Arrays.stream(seen).map(PGNotification::getParameter).distinct().toList());
        }
    }

    private static List<String> statistics(String db) {
        return pg.query(db, "select distinct tablename || case when inherited then ' inherited' else '' end "
                + "from pg_stats where schemaname = 'public' order by 1");
    }
}
