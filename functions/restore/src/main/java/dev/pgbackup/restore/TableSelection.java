package dev.pgbackup.restore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which entries of an archive a table-only restore restores, from its table of contents with dependencies
 * ({@code pg_restore --list --verbose}): the tables asked for and their rows, and what they need to be whole: the
 * schemas, types, domains, functions and sequences they (or their defaults and triggers) depend on, the sequences'
 * positions, their indexes, constraints, triggers, rules, policies and comments. A foreign key is restored only when
 * the table it references is restored too; nothing else (views, other tables) ever is. The result is a list for
 * {@code pg_restore --use-list}: {@code pg_restore --table} alone would restore the tables without their indexes and
 * constraints.
 */
final class TableSelection {
    /** "id; catalog oid DESC namespace tag owner": one entry of the list. */
    private static final Pattern ENTRY = Pattern.compile("^(\\d+); (\\d+) (\\d+) (.*)$");
    private static final Pattern DEPENDS = Pattern.compile("^;\\s+depends on:((?: \\d+)*)\\s*$");
    /** An id pg_restore could hold (one of more than 9 digits is past any archive's last and ignored, as there). */
    private static final Pattern LEADING_ID = Pattern.compile("\\s*0*([1-9]\\d{0,8})(?!\\d)");
    /** Entry kinds of more than one word: a kind is matched before the namespace and tag that follow it. */
    private static final List<String> KINDS = List.of("MATERIALIZED VIEW DATA", "PUBLICATION TABLES IN SCHEMA",
            "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "FOREIGN DATA WRAPPER", "PROCEDURAL LANGUAGE",
            "SEQUENCE OWNED BY", "TEXT SEARCH TEMPLATE", "DATABASE PROPERTIES", "SUBSCRIPTION TABLE",
            "TEXT SEARCH PARSER", "PUBLICATION TABLE", "MATERIALIZED VIEW", "OPERATOR FAMILY", "CHECK CONSTRAINT",
            "OPERATOR CLASS", "STATISTICS DATA", "SECURITY LABEL", "FK CONSTRAINT", "FOREIGN SERVER", "ACCESS METHOD",
            "BLOB METADATA", "EVENT TRIGGER", "FOREIGN TABLE", "LARGE OBJECTS", "ROW SECURITY", "SEQUENCE SET",
            "USER MAPPING", "INDEX ATTACH", "TABLE ATTACH", "LARGE OBJECT", "DEFAULT ACL", "SHELL TYPE", "TABLE DATA");
    /**
     * What a restored object may bring with it: objects without rows that other objects' definitions name. Pulled in
     * whenever something restored depends on them (a column's type, a default's sequence, a trigger's function).
     */
    private static final Set<String> PULLED = Set.of("SCHEMA", "EXTENSION", "TYPE", "SHELL TYPE", "DOMAIN", "COLLATION",
            "FUNCTION", "PROCEDURE", "AGGREGATE", "SEQUENCE", "OPERATOR", "OPERATOR CLASS", "OPERATOR FAMILY", "CAST",
            "CONVERSION", "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER",
            "TEXT SEARCH TEMPLATE", "ACCESS METHOD", "PROCEDURAL LANGUAGE", "TRANSFORM");
    /** Relations and their contents: never restored unless asked for (a view on a table is not what the table needs). */
    private static final Set<String> NEVER = Set.of("TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE",
            "MATERIALIZED VIEW DATA", "TABLE DATA", "SEQUENCE SET", "DATABASE", "DATABASE PROPERTIES", "ACL",
            "DEFAULT ACL", "BLOB", "BLOBS", "BLOB METADATA", "LARGE OBJECT", "LARGE OBJECTS", "PUBLICATION",
            "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "SUBSCRIPTION", "SUBSCRIPTION TABLE", "EVENT TRIGGER",
            "FOREIGN DATA WRAPPER", "FOREIGN SERVER", "USER MAPPING");
    /** What belongs to a chosen object even when that object was only pulled in (a sequence's OWNED BY). */
    private static final Set<String> ON_PULLED = Set.of("SEQUENCE OWNED BY", "COMMENT", "SECURITY LABEL");
    /** Session settings every restore applies (pg_restore reads some of them whatever the list says). */
    private static final Set<String> SETTINGS = Set.of("ENCODING", "STDSTRINGS", "SEARCHPATH");

    /** One entry: its id, kind, what follows the kind ("namespace tag owner") and the entries it depends on. */
    record Entry(int id, String kind, String rest, String line, List<Integer> dependsOn) {}

    /** The entries to restore, as lines of a --use-list file in the archive's order, and the tables they include. */
    record Chosen(List<String> lines, List<String> tables) {
        String useList() {
            return String.join("\n", lines) + "\n";
        }
    }

    /**
     * The dump ids a use-list's {@code lines} name, read as pg_restore reads the lists this worker writes
     * (SortTocFromFile): what follows a ";" is a comment, a blank line is skipped, the line's leading number is the
     * id, and a line without one is ignored.
     */
    static Set<Integer> dumpIds(List<String> lines) {
        Set<Integer> ids = new HashSet<>();
        for (String line : lines) {
            int semicolon = line.indexOf(';');
            Matcher m = LEADING_ID.matcher(semicolon < 0 ? line : line.substring(0, semicolon));
            if (m.lookingAt()) {
                ids.add(Integer.parseInt(m.group(1)));
            }
        }
        return ids;
    }

    /** Names asked for that the backup lacks, or tables that cannot be restored alone: the request is refused. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    private final Map<Integer, Entry> entries;

    private TableSelection(Map<Integer, Entry> entries) {
        this.entries = entries;
    }

    static TableSelection parse(String list) {
        Parser parser = new Parser();
        list.lines().forEach(parser);
        return parser.parsed();
    }

    /**
     * Reads a table of contents line by line as pg_restore prints it, so that one of any length is never held as
     * text: each entry is kept once, with its dependencies (one thread feeds it; read {@link #parsed} after).
     */
    static final class Parser implements java.util.function.Consumer<String> {
        private final Map<Integer, Entry> entries = new LinkedHashMap<>();
        private Entry last;

        @Override
        public void accept(String line) {
            Matcher m = ENTRY.matcher(line);
            if (m.matches()) {
                String kindAndRest = m.group(4);
                String kind = KINDS.stream().filter(k -> kindAndRest.startsWith(k + " ")).findFirst()
                        .orElse(kindAndRest.contains(" ") ? kindAndRest.substring(0, kindAndRest.indexOf(' '))
                                : kindAndRest);
                String rest = kindAndRest.length() > kind.length() ? kindAndRest.substring(kind.length() + 1) : "";
                last = new Entry(Integer.parseInt(m.group(1)), kind, rest, line, new ArrayList<>());
                entries.put(last.id(), last);
                return;
            }
            Matcher d = DEPENDS.matcher(line);
            if (d.matches() && last != null) {
                for (String id : d.group(1).trim().split(" ")) {
                    if (!id.isEmpty()) {
                        last.dependsOn().add(Integer.parseInt(id));
                    }
                }
            }
        }

        TableSelection parsed() {
            return new TableSelection(entries);
        }
    }

    /**
     * The entries that restore {@code requested} ("schema.table", or "schema.*" for every table of a schema), or
     * {@link Refused} naming what the backup lacks.
     */
    Chosen choose(List<String> requested) {
        Set<Integer> tables = new LinkedHashSet<>();
        List<String> missing = new ArrayList<>();
        for (String name : requested) {
            List<Entry> found = tablesNamed(name);
            if (found.isEmpty()) {
                missing.add(name);
            }
            found.forEach(e -> tables.add(e.id()));
        }
        if (!missing.isEmpty()) {
            throw new Refused("the backup has no table " + String.join(", ", missing) + " (names are as the database "
                    + "stores them: schema.table, lower-case unless created quoted)");
        }
        Set<Integer> chosen = new HashSet<>(tables);
        for (int table : tables) {
            Entry t = entries.get(table);
            for (int dep : t.dependsOn()) {
                Entry d = entries.get(dep);
                if (d != null && !chosen.contains(dep) && !PULLED.contains(d.kind())) {
                    // a table that inherits from (or is typed by) a table not asked for cannot be created alone
                    throw new Refused("the table " + display(t) + " needs " + d.kind() + " " + display(d)
                            + ", which is not among the tables asked for: name it too");
                }
            }
            pull(t, chosen).ifPresent(chosen::addAll);
        }
        addDependents(chosen);
        for (Entry e : entries.values()) {
            boolean data = e.kind().equals("TABLE DATA") && e.dependsOn().stream().anyMatch(tables::contains)
                    || e.kind().equals("SEQUENCE SET") && e.dependsOn().stream().anyMatch(chosen::contains);
            if (data || SETTINGS.contains(e.kind())) {
                chosen.add(e.id());
            }
        }
        List<String> lines = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (chosen.contains(e.id())) {
                lines.add(e.line());
            }
        }
        return new Chosen(lines, tables.stream().map(id -> display(entries.get(id))).toList());
    }

    /**
     * Objects hanging off what is chosen (indexes, constraints, defaults, triggers, identity and owned sequences,
     * comments on them, ...), until nothing more can be added: each is added with what it pulls in, and only when all
     * it depends on is chosen or can be pulled in without another table. So a foreign key comes only with the table
     * it references.
     */
    private void addDependents(Set<Integer> chosen) {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Entry e : entries.values()) {
                if (chosen.contains(e.id()) || NEVER.contains(e.kind()) || SETTINGS.contains(e.kind())
                        || PULLED.contains(e.kind()) && !e.kind().equals("SEQUENCE")) {
                    continue;
                }
                // OWNED BY (and a comment) hang off a sequence; an owned sequence is chosen only with its table
                boolean onPulled = ON_PULLED.contains(e.kind());
                boolean hangsOff = e.dependsOn().stream().anyMatch(d -> chosen.contains(d)
                        && (onPulled || !PULLED.contains(entries.get(d).kind())));
                if (!hangsOff) {
                    continue;
                }
                Optional<Set<Integer>> with = pull(e, chosen);
                if (with.isPresent()) {
                    chosen.add(e.id());
                    chosen.addAll(with.get());
                    changed = true;
                }
            }
        }
    }

    /**
     * What {@code e} needs beyond {@code chosen}: the pullable objects it depends on, transitively; empty when one of
     * them (or of theirs) is something else that is not chosen (another table, its constraint), so {@code e} cannot
     * be restored.
     */
    private Optional<Set<Integer>> pull(Entry e, Set<Integer> chosen) {
        Set<Integer> needed = new HashSet<>();
        List<Entry> todo = new ArrayList<>(List.of(e));
        while (!todo.isEmpty()) {
            Entry next = todo.remove(todo.size() - 1);
            for (int dep : next.dependsOn()) {
                Entry d = entries.get(dep);
                if (d == null || chosen.contains(dep) || needed.contains(dep)) {
                    continue; // an entry the archive does not hold (pg_dump left it out): nothing to restore
                }
                if (!PULLED.contains(d.kind())) {
                    return Optional.empty();
                }
                needed.add(dep);
                todo.add(d);
            }
        }
        return Optional.of(needed);
    }

    /** The TABLE entries a requested name means. */
    private List<Entry> tablesNamed(String name) {
        int dot = name.indexOf('.');
        String schema = name.substring(0, dot);
        String table = name.substring(dot + 1);
        List<Entry> found = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (!e.kind().equals("TABLE") || !e.line().matches("^\\d+; 1259 .*")) {
                continue;
            }
            // pg_restore prints names unquoted; requested names hold no spaces, so "schema table owner" is exact
            boolean match = table.equals("*") ? e.rest().startsWith(schema + " ")
                    : e.rest().equals(schema + " " + table) || e.rest().matches(Pattern.quote(schema + " " + table)
                            + " \\S*");
            if (match) {
                found.add(e);
            }
        }
        return found;
    }

    private static String display(Entry e) {
        String[] parts = e.rest().split(" ");
        return parts.length >= 2 ? parts[0] + "." + parts[1] : e.rest();
    }
}
