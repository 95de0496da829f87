package dev.pgbackup.common.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tables whose rows pg_dump writes, and their exact row counts in the connection's snapshot: what a backup
 * records and a restore drill compares. The same query on both sides, so the two sets mean the same thing.
 */
public final class TableCounts {
    /** A table by schema and name; {@link #key()} is how manifests name it. */
    public record Table(String schema, String name) {
        public String key() {
            return schema + "." + name;
        }

        String sql() {
            return quote(schema) + "." + quote(name);
        }
    }

    /**
     * Ordinary tables and partitions (relkind 'r': a partitioned parent holds no rows of its own), outside the
     * system schemas, not temporary, not an extension's own table (pg_dump writes those only as the extension).
     */
    private static final String DATA_TABLES = """
            select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'r' and c.relpersistence <> 't'
              and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'
              and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid
                              and d.deptype = 'e')
            order by 1, 2""";

    private TableCounts() {}

    public static List<Table> dataTables(Connection c) throws SQLException {
        List<Table> tables = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(DATA_TABLES)) {
            while (rs.next()) {
                tables.add(new Table(rs.getString(1), rs.getString(2)));
            }
        }
        return tables;
    }

    /**
     * Tables counted per statement: a statement per table costs a round trip each, and planning a UNION ALL grows
     * faster than its branches (2,000 three-row tables, PostgreSQL 15, one backend: 165 ms to count at 100 a
     * statement, 215 ms at 1,000).
     */
    static final int BATCH = 100;

    /** Tables locked per statement: a lock is not planned, so only the round trips count. */
    static final int LOCK_BATCH = 1000;

    /**
     * Every table's rows, {@link #BATCH} tables a statement, all within {@code budget} (each statement's
     * statement_timeout is what is left of it; a 57014 "canceling statement" when it runs out), keyed by
     * {@link Table#key()}. Run inside the caller's transaction, so every batch counts in one snapshot.
     */
    public static Map<String, Long> count(Connection c, List<Table> tables, java.time.Duration budget)
            throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        long until = System.nanoTime() + budget.toNanos();
        try (Statement s = c.createStatement()) {
            // A UNION ALL of tables never analysed (each assumed 10 pages) is costed as worth a Gather, and every
            // worker then opens each table afresh: 2,000 three-row tables cost the server 500-600 ms of CPU in
            // parallel, 180-250 ms in one backend, taken from pg_dump, which runs beside a backup's counting. One
            // backend counts ahead of pg_dump's COPY of the same rows, and the server (a drill's too: it restores
            // beside the databases it serves) keeps its other cores.
            s.execute("set local max_parallel_workers_per_gather = 0");
        }
        for (int from = 0; from < tables.size(); from += BATCH) {
            long left = (until - System.nanoTime()) / 1_000_000;
            if (left < 1) {
                throw new SQLException("canceling statement due to statement timeout", "57014");
            }
            try (Statement s = c.createStatement()) {
                s.execute("set local statement_timeout = " + left);
                try (ResultSet rs = s.executeQuery(countStatement(tables, from))) {
                    while (rs.next()) {
                        counts.put(tables.get(rs.getInt(1)).key(), rs.getLong(2));
                    }
                }
            }
        }
        return counts;
    }

    /** The statement counting the batch of {@code tables} that starts at {@code from}, each row its index and count. */
    private static String countStatement(List<Table> tables, int from) {
        List<Table> batch = tables.subList(from, Math.min(tables.size(), from + BATCH));
        StringBuilder sql = new StringBuilder();
        for (int i = 0; i < batch.size(); i++) {
            sql.append(i == 0 ? "" : " union all ").append("select ").append(from + i).append(", count(*) from ")
                    .append(batch.get(i).sql());
        }
        return sql.toString();
    }

    /**
     * Takes ACCESS SHARE locks on every table in the caller's transaction (what pg_dump takes too), {@link #LOCK_BATCH}
     * tables a statement, within {@code budget}: once held, no DDL can change a table before it is counted.
     */
    public static void lock(Connection c, List<Table> tables, java.time.Duration budget) throws SQLException {
        long until = System.nanoTime() + budget.toNanos();
        for (int from = 0; from < tables.size(); from += LOCK_BATCH) {
            long left = (until - System.nanoTime()) / 1_000_000;
            if (left < 1) {
                throw new SQLException("canceling statement due to statement timeout", "57014");
            }
            StringBuilder sql = new StringBuilder("lock table only ");
            List<Table> batch = tables.subList(from, Math.min(tables.size(), from + LOCK_BATCH));
            for (int i = 0; i < batch.size(); i++) {
                sql.append(i == 0 ? "" : ", ").append(batch.get(i).sql());
            }
            try (Statement s = c.createStatement()) {
                s.execute("set local statement_timeout = " + left);
                s.execute(sql.append(" in access share mode").toString());
            }
        }
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
