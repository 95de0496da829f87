package dev.pgbackup.restore.drill;

import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.TableCounts;
import dev.pgbackup.common.time.Deadline;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a drill checks in its restored scratch database: every table of the archive's table of contents exists,
 * and, when the backup counted its rows, every table holds exactly as many. Read-only; bounded by the drill's
 * deadline.
 */
final class ScratchChecks {
    /** Tables and partitioned tables (both are TABLE entries of a table of contents), by "schema name". */
    private static final String TABLES = """
            select n.nspname || ' ' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname !~ '^pg_(toast|temp_)'""";

    /** What the checks found: the tables listed, and the tables whose rows were compared (null: not recorded). */
    record Verified(int tables, Integer counted) {}

    private ScratchChecks() {}

    /**
     * @param recorded the backup's row counts, or null when it did not record them
     * @return what was verified, or the failure (a sentence naming the tables) when something does not match
     */
    static Result verify(DbConnection scratch, List<String> tocTables, Map<String, Long> recorded, Deadline deadline)
            throws SQLException {
        long left = deadline.remaining().toMillis();
        if (left < 1) {
            return Result.failed("the drill's time ran out before the restored database could be checked");
        }
        try (Connection c = scratch.open()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            try (Statement s = c.createStatement()) {
                s.execute("set local statement_timeout = " + left);
                s.execute("set local row_security = off");
            }
            List<String> missing = DrillRules.missing(tocTables, present(c));
            if (!missing.isEmpty()) {
                return Result.failed("the restored database lacks " + missing.size() + " of the archive's "
                        + tocTables.size() + " tables: " + DrillRules.named(missing.stream().map(t -> "TABLE " + t)
                                .toList()));
            }
            if (recorded == null) {
                return Result.ok(new Verified(tocTables.size(), null));
            }
            List<TableCounts.Table> counted = TableCounts.dataTables(c).stream()
                    .filter(t -> recorded.containsKey(t.key())).toList();
            List<String> differences = DrillRules.countDifferences(recorded, TableCounts.count(c, counted,
                    deadline.remaining()));
            if (!differences.isEmpty()) {
                return Result.failed("row counts differ from what the backup recorded: "
                        + DrillRules.named(differences));
            }
            return Result.ok(new Verified(tocTables.size(), recorded.size()));
        }
    }

    private static Set<String> present(Connection c) throws SQLException {
        Set<String> names = new HashSet<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(TABLES)) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    /** Either what was verified or why the drill fails (with scrubbed detail for the job record, if any). */
    record Result(Optional<Verified> verified, String failure, String diagnostic) {
        static Result ok(Verified v) {
            return new Result(Optional.of(v), null, null);
        }

        static Result failed(String why) {
            return failed(why, null);
        }

        static Result failed(String why, String diagnostic) {
            return new Result(Optional.empty(), why, diagnostic);
        }
    }
}
