package dev.pgbackup.restore.drill;

import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.restore.TableOfContents;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The decisions of a restore drill, apart from any I/O: which backup, what the archive lists, what must match. */
final class DrillRules {
    /** How many mismatches a message names before it says "and n more". */
    static final int NAMED = 5;

    private DrillRules() {}

    /**
     * The backup a drill restores: this environment's newest, by when it was written (S3's time has a second's
     * resolution: the time in the name, then the name itself, break a tie).
     */
    static Optional<BackupCatalog.Entry> newest(List<BackupCatalog.Entry> mine, String environment) {
        return mine.stream().filter(e -> e.backup().environment().equals(environment))
                .max(Comparator.comparing((BackupCatalog.Entry e) -> e.backup().lastModified())
                        .thenComparing(e -> e.backup().name().localTime())
                        .thenComparing(e -> e.backup().filename()));
    }

    /**
     * The tables of an archive's table of contents, as "schema name owner" (pg_restore prints names unquoted, so
     * a name may hold spaces: they are matched against what exists, never split).
     */
    static List<String> tocTables(String list) {
        List<String> tables = new ArrayList<>();
        for (String line : list.split("\n")) {
            TableOfContents.tableEntry(line).ifPresent(tables::add);
        }
        return tables;
    }

    /**
     * The table of contents' tables that are not among {@code present} ("schema name" of each table in the
     * restored database), shown as "schema name". An entry matches a table when what follows its schema and name
     * is one word, the owner: table "odd" never stands in for a missing "odd name".
     */
    static List<String> missing(List<String> tocTables, Set<String> present) {
        List<String> missing = new ArrayList<>();
        // a set lookup per entry, not a scan of every present table: 100,000 tables stay linear
        for (String entry : tocTables) {
            int owner = entry.lastIndexOf(' ');
            boolean found = present.contains(entry) || owner > 0 && present.contains(entry.substring(0, owner));
            if (!found) {
                missing.add(owner > 0 ? entry.substring(0, owner) : entry);
            }
        }
        return missing;
    }

    /**
     * Every table whose restored rows differ from what the backup counted, or that the backup counted and the
     * restored database lacks; sorted by table.
     */
    static List<String> countDifferences(Map<String, Long> recorded, Map<String, Long> restored) {
        List<String> differences = new ArrayList<>();
        recorded.keySet().stream().sorted().forEach(table -> {
            Long expected = recorded.get(table);
            Long got = restored.get(table);
            if (got == null) {
                differences.add(table + " is missing (the backup recorded " + expected + " rows)");
            } else if (!got.equals(expected)) {
                differences.add(table + " has " + got + " rows, the backup recorded " + expected);
            }
        });
        return differences;
    }

    /** "a, b, c" or "a, b, c, d, e and 3 more". */
    static String named(List<String> items) {
        if (items.size() <= NAMED) {
            return String.join(", ", items);
        }
        return String.join(", ", items.subList(0, NAMED)) + " and " + (items.size() - NAMED) + " more";
    }

    /**
     * Scratch databases a drill that can no longer be running left behind (killed before its drop): named before
     * the drill lock goes stale. A younger one may belong to a drill running now against a shared verification
     * server, and is left alone.
     */
    static List<String> abandoned(Map<String, Instant> scratches, Instant now, Duration staleAfter) {
        return scratches.entrySet().stream().filter(e -> e.getValue().plus(staleAfter).isBefore(now))
                .map(Map.Entry::getKey).sorted().toList();
    }

    /** "3.4 s" */
    static String seconds(long millis) {
        return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
