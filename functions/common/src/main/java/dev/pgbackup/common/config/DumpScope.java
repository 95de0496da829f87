package dev.pgbackup.common.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What pg_dump includes: only some schemas, not some schemas ({@code --exclude-schema}), and
 * tables whose definition is dumped without their rows ({@code --exclude-table-data}). Each entry is a
 * PostgreSQL name or a pg_dump pattern ({@code *}, {@code ?}) of lower-case letters, digits, {@code _} and
 * {@code $} (a table may be qualified by its schema), checked at start-up and handed to pg_dump as separate
 * arguments, never through a shell. Recorded in each backup's manifest, so that a restore can say what the
 * backup left out.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record DumpScope(List<String> includeSchemas, List<String> excludeSchemas, List<String> excludeTableData) {
    static final DumpScope EVERYTHING = new DumpScope(List.of(), List.of(), List.of());
    static final int MAX_ENTRIES = 50;
    private static final String PART = "[a-z0-9_$*?]{1,63}";
    private static final Pattern SCHEMA = Pattern.compile(PART);
    private static final Pattern TABLE = Pattern.compile("(" + PART + "\\.)?" + PART);

    public DumpScope {
        includeSchemas = includeSchemas == null ? List.of() : List.copyOf(includeSchemas);
        excludeSchemas = excludeSchemas == null ? List.of() : List.copyOf(excludeSchemas);
        excludeTableData = excludeTableData == null ? List.of() : List.copyOf(excludeTableData);
    }

    /** Nothing left out: pg_dump's whole database. */
    public boolean everything() {
        return includeSchemas.isEmpty() && excludeSchemas.isEmpty() && excludeTableData.isEmpty();
    }

    /**
     * pg_dump's arguments, one per entry, for a database with these schemas. Included schemas become the
     * exclusion of every other schema: pg_dump's own {@code --schema} also writes {@code CREATE SCHEMA public},
     * which every new database already has, so such an archive could not be restored.
     */
    public List<String> pgDumpArguments(Collection<String> databaseSchemas) {
        List<String> args = new ArrayList<>();
        if (!includeSchemas.isEmpty()) {
            databaseSchemas.stream().filter(s -> !included(s)).sorted()
                    .forEach(s -> args.add("--exclude-schema=" + quoted(s)));
        }
        excludeSchemas.forEach(s -> args.add("--exclude-schema=" + s));
        excludeTableData.forEach(t -> args.add("--exclude-table-data=" + t));
        return args;
    }

    /** Whether some schema is left to dump: with included schemas, at least one must exist. */
    public boolean includesAnyOf(Collection<String> databaseSchemas) {
        return includeSchemas.isEmpty() || databaseSchemas.stream().anyMatch(this::included);
    }

    private boolean included(String schema) {
        return includeSchemas.stream().anyMatch(p -> asRegex(p).matcher(schema).matches());
    }

    /** A pg_dump pattern of the allowed characters: {@code *} any text, {@code ?} one character, the rest literal. */
    private static Pattern asRegex(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(regex.toString());
    }

    /** An exact name as a pg_dump pattern: in double quotes nothing is a wildcard and case is kept. */
    private static String quoted(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** For the backup's job record: what the dump holds. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (!includeSchemas.isEmpty()) {
            parts.add("only schemas " + String.join(", ", includeSchemas));
        }
        if (!excludeSchemas.isEmpty()) {
            parts.add("without schemas " + String.join(", ", excludeSchemas));
        }
        if (!excludeTableData.isEmpty()) {
            parts.add("without the data of tables " + String.join(", ", excludeTableData));
        }
        return parts.isEmpty() ? "the whole database" : String.join("; ", parts);
    }

    /** For a restore of such a backup: "this backup left out: schemas audit; the data of tables public.events". */
    public Optional<String> leftOut() {
        List<String> parts = new ArrayList<>();
        if (!includeSchemas.isEmpty()) {
            parts.add("schemas other than " + String.join(", ", includeSchemas));
        }
        if (!excludeSchemas.isEmpty()) {
            parts.add("schemas " + String.join(", ", excludeSchemas));
        }
        if (!excludeTableData.isEmpty()) {
            parts.add("the data of tables " + String.join(", ", excludeTableData));
        }
        return parts.isEmpty() ? Optional.empty() : Optional.of("this backup left out: " + String.join("; ", parts));
    }

    /** Reads and checks the three variables; every problem goes to {@code problems}, naming its variable. */
    static DumpScope read(Map<String, String> env, List<String> problems) {
        List<String> include = entries(env, Variable.BACKUP_INCLUDE_SCHEMAS, SCHEMA, "a schema name or pattern",
                problems);
        List<String> exclude = entries(env, Variable.BACKUP_EXCLUDE_SCHEMAS, SCHEMA, "a schema name or pattern",
                problems);
        List<String> tables = entries(env, Variable.BACKUP_EXCLUDE_TABLE_DATA, TABLE,
                "a table name or pattern, optionally schema-qualified (public.events)", problems);
        Set<String> both = new LinkedHashSet<>(include);
        both.retainAll(exclude);
        if (!both.isEmpty()) {
            problems.add("Environment variables BACKUP_INCLUDE_SCHEMAS and BACKUP_EXCLUDE_SCHEMAS both name "
                    + String.join(", ", both) + ": a schema is either included or left out");
        }
        return new DumpScope(include, exclude, tables);
    }

    private static List<String> entries(Map<String, String> env, Variable key, Pattern entry, String what,
            List<String> problems) {
        String value = key.in(env);
        if (value == null) {
            return List.of();
        }
        List<String> entries = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            String e = part.trim();
            if (!entry.matcher(e).matches()) {
                boolean upper = !e.equals(e.toLowerCase(java.util.Locale.ROOT));
                problems.add("Environment variable " + key + " must be comma-separated entries, each " + what + " of "
                        + "lower-case letters, digits, '_', '$', '*' or '?'"
                        + (upper ? " (pg_dump folds unquoted names "
                                + "to lower case; mixed-case names cannot be given here)" : "")
                        + ": '" + e + "' in " + value);
                return List.of();
            }
            if (!entries.contains(e)) {
                entries.add(e);
            }
        }
        if (entries.size() > MAX_ENTRIES) {
            problems.add(
                    "Environment variable " + key + " names at most " + MAX_ENTRIES + " entries: " + entries.size());
            return List.of();
        }
        return entries;
    }
}
