package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.testsupport.TestPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

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

    private static List<String> statistics(String db) {
        return pg.query(db, "select distinct tablename || case when inherited then ' inherited' else '' end "
                + "from pg_stats where schemaname = 'public' order by 1");
    }
}
