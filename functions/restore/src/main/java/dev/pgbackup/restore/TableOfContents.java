package dev.pgbackup.restore;

import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an archive's table of contents holds that a parallel restore can share among its jobs, counted line by line
 * as {@code pg_restore --list} streams (nothing is kept, so a table of contents of any length is counted):
 * table data, indexes, constraints and foreign keys, the entries pg_restore --jobs runs at once.
 */
public final class TableOfContents implements Consumer<String> {
    /** An entry: "id; catalog-oid oid KIND schema name owner", KIND one or more upper-case words. */
    private static final Pattern ENTRY = Pattern.compile("^\\d+;\\s+\\d+\\s+\\d+\\s+(.*)$");

    /**
     * A TABLE entry of {@code pg_restore --list}: "id; 1259 oid TABLE schema name owner". The catalog (1259,
     * pg_class) tells it from "TABLE DATA" and "TABLE ATTACH" entries (catalog 0), whose words could otherwise be
     * a schema's name.
     */
    private static final Pattern TABLE_ENTRY = Pattern.compile("^\\d+;\\s+1259\\s+\\d+\\s+TABLE (.*)$");

    /** The counts; {@code entries} is every entry, 0 when the table of contents was not read. */
    record Counts(int entries, int tableData, int indexes, int constraints, int foreignKeys) {
        static final Counts UNKNOWN = new Counts(0, 0, 0, 0, 0);

        /** The entries that run at once under pg_restore --jobs (the rest, the schema, is created first, by one). */
        int independent() {
            return tableData + indexes + constraints + foreignKeys;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%,d TABLE DATA, %,d INDEX, %,d CONSTRAINT, %,d FK CONSTRAINT "
                    + "entries", tableData, indexes, constraints, foreignKeys);
        }
    }

    private int entries;
    private int tableData;
    private int indexes;
    private int constraints;
    private int foreignKeys;

    @Override
    public void accept(String line) {
        if (line.isBlank() || line.startsWith(";")) {
            return;
        }
        entries++;
        Matcher m = ENTRY.matcher(line);
        if (!m.matches()) {
            return;
        }
        String kind = m.group(1);
        if (kind.startsWith("TABLE DATA ")) {
            tableData++;
        } else if (kind.startsWith("INDEX ") && !kind.startsWith("INDEX ATTACH ")) {
            indexes++;
        } else if (kind.startsWith("CONSTRAINT ")) {
            constraints++;
        } else if (kind.startsWith("FK CONSTRAINT ")) {
            foreignKeys++;
        }
    }

    Counts counts() {
        return new Counts(entries, tableData, indexes, constraints, foreignKeys);
    }

    /** The "schema name owner" of one line of {@code pg_restore --list} when it is a TABLE entry. */
    public static java.util.Optional<String> tableEntry(String line) {
        Matcher m = TABLE_ENTRY.matcher(line);
        return m.matches() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
    }
}
