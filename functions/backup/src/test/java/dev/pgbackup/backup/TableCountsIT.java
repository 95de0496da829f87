package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.db.TableCounts;
import dev.pgbackup.testsupport.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Counting many tables against a real PostgreSQL: every batch in one snapshot, and in one backend. */
class TableCountsIT {
    /** More than two of counting's statements (100 tables each), the last one short. */
    static final int TABLES = 237;

    static TestPostgres pg;
    static String db;

    @BeforeAll
    static void database() {
        pg = TestPostgres.get();
        db = "table_counts_" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(db);
        // table i holds i % 5 rows; never analysed, as small tables of a live database usually are (autovacuum
        // analyses a table after 50 changed rows)
        pg.execute(db, "set role " + TestPostgres.APP_USER + "; do $$ begin for i in 0.." + (TABLES - 1) + " loop "
                + "execute format('create table %I (id int)', 'small_' || i); "
                + "execute format('insert into %I select generate_series(1, %s)', 'small_' || i, i % 5); "
                + "end loop; end $$");
        // a planner that finds parallel workers free: without counting's own setting, every batch would be a Gather
        pg.admin("alter database " + db + " set parallel_setup_cost = 0");
        pg.admin("alter database " + db + " set parallel_tuple_cost = 0");
        pg.admin("alter database " + db + " set min_parallel_table_scan_size = 0");
    }

    @AfterAll
    static void dropDatabase() {
        pg.dropDatabase(db);
    }

    @Test
    void everyTableIsCountedAcrossBatches() throws Exception {
        try (Connection c = pg.connection(db).open()) {
            c.setAutoCommit(false);
            List<TableCounts.Table> tables = TableCounts.dataTables(c);
            assertEquals(TABLES, tables.size());
            TableCounts.lock(c, tables, Duration.ofMinutes(1));

            Map<String, Long> counts = TableCounts.count(c, tables, Duration.ofMinutes(1));

            Map<String, Long> expected = new HashMap<>();
            for (int i = 0; i < TABLES; i++) {
                expected.put("public.small_" + i, (long) (i % 5));
            }
            assertEquals(expected, counts);
            c.rollback();
        }
    }

    @Test
    void countingPlansNoParallelWorkers() throws Exception {
        try (Connection c = pg.connection(db).open(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            List<TableCounts.Table> tables = TableCounts.dataTables(c);
            // a statement like counting's: a hundred tables' count(*) in one UNION ALL
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 100; i++) {
                batch.append(i == 0 ? "" : " union all ").append("select ").append(i)
                        .append(", count(*) from public.small_").append(i);
            }
            assertTrue(plan(s, batch).contains("Gather"), "the database invites parallel plans: " + plan(s, batch));

            TableCounts.count(c, tables, Duration.ofMinutes(1));

            // the counting's settings hold to the end of its transaction: its statements were planned like this one
            String counted = plan(s, batch);
            assertFalse(counted.contains("Gather") || counted.contains("Parallel"), counted);
            c.rollback();
        }
    }

    private static String plan(Statement s, CharSequence sql) throws Exception {
        StringBuilder plan = new StringBuilder();
        try (ResultSet rs = s.executeQuery("explain (costs off) " + sql)) {
            while (rs.next()) {
                plan.append(rs.getString(1)).append('\n');
            }
        }
        return plan.toString();
    }
}
