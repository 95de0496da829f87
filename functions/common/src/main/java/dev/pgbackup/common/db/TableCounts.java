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

    private TableCounts() {
    }

    public static List<Table> dataTables(Connection c) throws SQLException {
        List<Table> tables = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(DATA_TABLES)) {
            while (rs.next()) {
                tables.add(new Table(rs.getString(1), rs.getString(2)));
            }
        }
        return tables;
    }

    /** Every table's rows, in one statement (one statement_timeout bounds it all), keyed by {@link Table#key()}. */
    public static Map<String, Long> count(Connection c, List<Table> tables) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        if (tables.isEmpty()) {
            return counts;
        }
        StringBuilder sql = new StringBuilder();
        for (int i = 0; i < tables.size(); i++) {
            sql.append(i == 0 ? "" : " union all ").append("select ").append(i).append(", count(*) from ")
                    .append(tables.get(i).sql());
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql.toString())) {
            while (rs.next()) {
                counts.put(tables.get(rs.getInt(1)).key(), rs.getLong(2));
            }
        }
        return counts;
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
