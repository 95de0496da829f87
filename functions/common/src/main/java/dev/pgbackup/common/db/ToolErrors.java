package dev.pgbackup.common.db;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a pg_dump or pg_restore failure means, in words safe for any caller. The tools' stderr can quote
 * row values ({@code Key (email)=(...)}), host names and object names: it goes to the environment's own log
 * and job record as a diagnostic, never into an answer.
 */
public final class ToolErrors {
    private static final String PRIVILEGE = "the database user lacks a privilege the tool needs";

    private record Rule(Pattern pattern, String meaning) {}

    private static final List<Rule> RULES = List.of(
            rule("unsupported version \\([0-9.]+\\) in file header",
                    "the archive was written by a newer pg_dump than this pg_restore can read"),
            rule("server version mismatch|aborting because of server version",
                    "the database server is newer than the pg_dump that ran"),
            rule("password authentication failed|no pg_hba\\.conf entry|authentication failed",
                    "the database refused the credentials"),
            rule("certificate|ssl|tls|hostname",
                    "the TLS connection to the database failed (certificate, host name or sslmode)"),
            rule("could not connect|connection to server .* failed|connection refused|could not translate host"
                    + "|timeout expired|server closed the connection|connection lost|terminating connection"
                    + "|no connection to the server|could not receive data",
                    "the connection to the database failed or was lost"),
            rule("lock timeout|could not obtain lock|canceling statement due to lock"
                    + "|canceling statement due to statement timeout \\(while locking tables\\)",
                    "a table could not be locked in time (a long transaction or a schema change holds it)"),
            rule("would be affected by row-level security policy",
                    "a table's row-level security policy would hide rows from the backup (pg_dump reads with "
                            + "row_security off): give the backup user BYPASSRLS (on RDS, ownership of the table), or "
                            + "leave the table out with BackupExcludeTableData"),
            rule("permission denied|must be owner|must be superuser|only superuser", PRIVILEGE),
            rule("out of memory|no space left|could not extend file|disk full",
                    "the server ran out of memory or disk"),
            rule("did not find magic string|not a valid archive|could not read input file|unexpected end of file"
                    + "|invalid .*archive|corrupt|could not uncompress|could not decompress|error during file read"
                    + "|input file appears to be a text format dump|input file is too short",
                    "the archive is corrupt, truncated or not a pg_dump archive"),
            rule("extension .* is not available|could not open extension control file",
                    "the target server lacks an extension the archive needs (install it there first; on RDS, check "
                            + "that its engine version offers it)"),
            rule("does not exist",
                    "an object the archive needs does not exist on the target (an extension, role or schema)"),
            rule("duplicate key|violates .*constraint", "the data violates a constraint of the restored schema"),
            rule("could not execute query", "the server rejected a statement of the archive"));

    private ToolErrors() {}

    private static Rule rule(String regex, String meaning) {
        return new Rule(Pattern.compile(regex, Pattern.CASE_INSENSITIVE), meaning);
    }

    /** Lines that report a problem: --verbose progress lines (table names) must not be taken for one. */
    private static final Pattern PROBLEM = Pattern.compile("error|fatal|could not|detail:|hint:|warning",
            Pattern.CASE_INSENSITIVE);
    /** The tool's or the server's own error lines: what failed, in its words (not the statement it quotes). */
    private static final Pattern ERROR_LINE = Pattern.compile("error:|fatal:|^error |could not",
            Pattern.CASE_INSENSITIVE);
    /** Lines that quote SQL or objects ({@code DETAIL: Query was: LOCK TABLE ...}): their names could match any rule. */
    private static final Pattern QUOTING = Pattern.compile("detail:|query was:|statement:|hint:|context:",
            Pattern.CASE_INSENSITIVE);

    private static final Pattern LOCKING = Pattern.compile("query was: lock table", Pattern.CASE_INSENSITIVE);

    /** What a privilege failure needs granted, per tool; no object name (that stays in the diagnostic). */
    private static final java.util.Map<String, String> GRANTS = java.util.Map.of(
            "pg_dump", "pg_dump needs SELECT on every table and sequence it dumps and USAGE on their schemas: grant "
                    + "them to the backup user (for example GRANT SELECT ON ALL TABLES IN SCHEMA ... TO ...), or leave "
                    + "the objects out with BackupExcludeSchemas or BackupExcludeTableData; the job's diagnostic names "
                    + "the object",
            "pg_restore", "pg_restore needs CREATEDB (swap mode) or ownership of the target, and CREATE on the objects'"
                    + " schemas; objects only a superuser may create (event triggers, base types, C or internal "
                    + "functions, untrusted extensions, access methods, FOR ALL TABLES publications) need a superuser or "
                    + "rds_superuser to create them first or leave them out of the database; the job's diagnostic "
                    + "names the object");

    /** Whether a stderr line reports a problem (rather than --verbose progress). */
    static boolean isProblem(String line) {
        return PROBLEM.matcher(line).find();
    }

    /**
     * The first meaning whose pattern the tool's error lines match (then its other problem lines, then anything),
     * or a generic one. Error lines first: a DETAIL line can quote every table name of a schema, and a table called
     * {@code ssl_certificates} must not turn a refused privilege into a TLS failure.
     */
    public static String meaning(String tool, String stderr) {
        String all = stderr == null ? "" : stderr;
        List<String> lines = all.lines().toList();
        // pg_dump --lock-wait-timeout is a statement_timeout around LOCK TABLE: only its DETAIL says it was a lock
        boolean locking = lines.stream().anyMatch(l -> LOCKING.matcher(l).find());
        List<String> errors = lines.stream().filter(l -> ERROR_LINE.matcher(l).find() && !QUOTING.matcher(l).find())
                .map(l -> locking && l.toLowerCase(Locale.ROOT).contains("statement timeout") ? l
                        + " (while locking tables)" : l)
                .toList();
        List<String> problems = lines.stream().filter(ToolErrors::isProblem).toList();
        for (List<String> candidates : List.of(errors, problems, lines)) {
            String text = String.join("\n", candidates).toLowerCase(Locale.ROOT);
            for (Rule r : RULES) {
                if (!text.isEmpty() && r.pattern().matcher(text).find()) {
                    return withHint(tool, r.meaning());
                }
            }
        }
        return tool + " reported an error";
    }

    private static String withHint(String tool, String meaning) {
        String grants = GRANTS.get(tool);
        return PRIVILEGE.equals(meaning) && grants != null ? meaning + " (" + grants + ")" : meaning;
    }
}
