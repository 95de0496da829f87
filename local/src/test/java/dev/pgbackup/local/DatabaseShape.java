package dev.pgbackup.local;

import dev.pgbackup.testsupport.TestPostgres;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Everything of a database a restore must give back, read as the superuser (row-level security and
 * privileges hide nothing): the columns (in order) and rows of every table, partition and populated materialized
 * view, every sequence's position, every large object's bytes, the schema as {@code pg_dump --schema-only
 * --no-owner --no-acl} prints it (entry by entry), and an inventory of the objects by kind.
 */
record DatabaseShape(Map<String, String> columns, Map<String, List<String>> rows, Map<String, String> sequences,
        List<String> largeObjects, List<String> schema, List<String> inventory) {

    static DatabaseShape of(TestPostgres pg, String database) {
        Map<String, String> columns = new LinkedHashMap<>();
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String line : pg.query(database, "select format('%I.%I', n.nspname, c.relname) || '|' || coalesce(("
                + "select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum) "
                + "from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '') "
                + "from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'm') and "
                + "c.relispopulated and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ "
                + "'^pg_toast' order by 1")) {
            String table = line.substring(0, line.indexOf('|'));
            columns.put(table, line.substring(line.indexOf('|') + 1));
            // ONLY: an inheritance parent's own rows (its children are listed themselves); as jsonb, by column name,
            // so that a column order that changed is reported once, as such
            rows.put(table, pg.query(database, "select to_jsonb(t)::text from only " + table + " t order by 1"));
        }
        Map<String, String> sequences = new LinkedHashMap<>();
        for (String seq : pg.query(database, "select format('%I.%I', schemaname, sequencename) from pg_sequences "
                + "order by 1")) {
            sequences.put(seq, pg.query(database, "select last_value || ',' || is_called from " + seq).get(0));
        }
        List<String> largeObjects = pg.query(database, "select oid || ' ' || length(lo_get(oid)) || ' bytes, md5 ' "
                + "|| md5(lo_get(oid)) from pg_largeobject_metadata order by oid");
        return new DatabaseShape(columns, rows, sequences, largeObjects, entries(ObjectKinds.schemaDump(pg, database)),
                pg.query(database, ObjectKinds.sql("inventory.sql")));
    }

    /**
     * The dump's entries, sorted: one object each, from its "-- Name:" line to the next, without the other
     * comment lines and blank lines (the separators around an entry depend on what comes next).
     */
    static List<String> entries(String dump) {
        List<String> entries = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : dump.split("\n")) {
            if (line.startsWith("-- Name: ")) {
                entries.add(current.toString());
                current.setLength(0);
            } else if (line.isBlank() || line.startsWith("--")) {
                continue;
            }
            current.append(line).append('\n');
        }
        entries.add(current.toString());
        return entries.stream().map(String::strip).sorted().toList();
    }

    /** How {@code restored} differs from this database, one line per difference (empty: the same). */
    List<String> differences(DatabaseShape restored) {
        List<String> out = new ArrayList<>();
        onlyIn("schema", schema, restored.schema, out);
        onlyIn("inventory", inventory, restored.inventory, out);
        for (String table : union(columns.keySet(), restored.columns.keySet())) {
            if (columns.containsKey(table) && restored.columns.containsKey(table)
                    && !columns.get(table).equals(restored.columns.get(table))) {
                out.add("columns of " + table + ": " + columns.get(table) + " in source, " + restored.columns.get(table)
                        + " restored");
            }
        }
        for (String table : union(rows.keySet(), restored.rows.keySet())) {
            List<String> a = rows.get(table);
            List<String> b = restored.rows.get(table);
            if (a == null || b == null) {
                out.add("rows of " + table + ": " + (a == null ? "only in restored" : "only in source"));
            } else if (!a.equals(b)) {
                out.add("rows of " + table + ": " + a.size() + " in source, " + b.size()
                        + " restored; first difference: "
                        + firstDifference(a, b));
            }
        }
        for (String seq : union(sequences.keySet(), restored.sequences.keySet())) {
            if (!String.valueOf(sequences.get(seq)).equals(String.valueOf(restored.sequences.get(seq)))) {
                out.add("sequence " + seq + ": " + sequences.get(seq) + " in source, " + restored.sequences.get(seq)
                        + " restored");
            }
        }
        if (!largeObjects.equals(restored.largeObjects)) {
            out.add("large objects: " + largeObjects + " in source, " + restored.largeObjects + " restored");
        }
        return out;
    }

    /**
     * The differences not in {@code expected} (a pattern each difference may start with, and its reason); each
     * pattern must match one (a reason that no longer holds is a stale one).
     */
    static List<String> unexpected(List<String> differences, Map<String, String> expected) {
        List<java.util.regex.Pattern> patterns = expected.keySet().stream().map(java.util.regex.Pattern::compile)
                .toList();
        for (java.util.regex.Pattern p : patterns) {
            if (differences.stream().noneMatch(d -> p.matcher(d).lookingAt())) {
                throw new AssertionError("no longer differs: " + p + " (" + expected.get(p.pattern()) + ")\n"
                        + String.join("\n", differences));
            }
        }
        return differences.stream().filter(d -> patterns.stream().noneMatch(p -> p.matcher(d).lookingAt())).toList();
    }

    /** Rows of every table, partition and populated materialized view. */
    long rowCount() {
        return rows.values().stream().mapToLong(List::size).sum();
    }

    /** How many objects of each kind the inventory holds ("kind" -> count). */
    Map<String, Integer> kinds() {
        Map<String, Integer> kinds = new java.util.TreeMap<>();
        inventory.forEach(line -> kinds.merge(line.substring(0, line.indexOf('|')), 1, Integer::sum));
        return kinds;
    }

    /** Entries only one side has; an entry whose header both have is reported once, with both bodies. */
    private static void onlyIn(String what, List<String> source, List<String> restored, List<String> out) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        source.forEach(e -> counts.merge(e, 1, Integer::sum));
        restored.forEach(e -> counts.merge(e, -1, Integer::sum));
        List<String> onlySource = new ArrayList<>();
        List<String> onlyRestored = new ArrayList<>();
        counts.forEach((e, n) -> {
            for (int i = 0; i < Math.abs(n); i++) {
                (n > 0 ? onlySource : onlyRestored).add(e);
            }
        });
        for (String entry : onlySource) {
            String header = entry.lines().findFirst().orElse("");
            String twin = onlyRestored.stream().filter(e -> e.startsWith(header + "\n")).findFirst().orElse(null);
            if (twin == null || header.equals(entry)) {
                out.add(what + " only in source: " + header);
            } else {
                onlyRestored.remove(twin);
                out.add(what + " differs: " + header + " | source: " + body(entry) + " | restored: " + body(twin));
            }
        }
        onlyRestored.forEach(e -> out.add(what + " only in restored: " + e.lines().findFirst().orElse("")));
    }

    private static String body(String entry) {
        return abbreviate(entry.substring(entry.indexOf('\n') + 1).replaceAll("\\s+", " "));
    }

    private static String firstDifference(List<String> a, List<String> b) {
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            String x = i < a.size() ? a.get(i) : "(none)";
            String y = i < b.size() ? b.get(i) : "(none)";
            if (!x.equals(y)) {
                return "row " + i + ": " + abbreviate(x) + " / " + abbreviate(y);
            }
        }
        return "none";
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    private static TreeSet<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        TreeSet<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }
}
