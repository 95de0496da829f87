package dev.pgbackup.restore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The roles of a backup, parsed from {@code pg_dumpall --globals-only --no-role-passwords} output: one statement per
 * line (a quoted literal may span lines: a role comment with a line break), each of a form pg_dumpall writes,
 * recognised whole by a pattern of its own. Roles and memberships are kept; settings, comments, labels, tablespaces
 * and parameter grants are counted as not restored. Any other line refuses the whole file, naming the line: nothing
 * is ever executed from text this class did not recognise. A restore builds its own statements from what is parsed.
 */
final class RoleStatements {
    /** A role as the backup's server had it; {@code attributes}: the ALTER ROLE ... WITH clause, parsed. */
    record Role(String name, Attributes attributes) {}

    /**
     * SUPERUSER & co. as booleans (null: not stated), and the connection limit and expiry when stated
     * ({@code validUntil} without its quotes).
     */
    record Attributes(Map<String, Boolean> flags, Integer connectionLimit, String validUntil) {
        static final Attributes NONE = new Attributes(Map.of(), null, null);

        boolean has(String flag) {
            return Boolean.TRUE.equals(flags.get(flag));
        }
    }

    /** {@code GRANT role TO member}; {@code inherit} / {@code set}: null when the line does not say (before PG 16). */
    record Membership(String role, String member, boolean admin, Boolean inherit, Boolean set) {}

    /** Everything recognised: the roles in file order, their memberships, and what is not restored, by kind. */
    record Parsed(List<Role> roles, List<Membership> memberships, Map<String, Integer> skipped) {}

    /** A line that is not one pg_dumpall writes: the file is refused. */
    static final class Unrecognised extends Exception {
        Unrecognised(String message) {
            super(message);
        }
    }

    static final String FLAG_NAMES = "SUPERUSER|INHERIT|CREATEROLE|CREATEDB|LOGIN|REPLICATION|BYPASSRLS";
    private static final String IDENT = "(\"(?:[^\"]|\"\")+\"|[a-z_][a-z0-9_$]*)";
    private static final String LITERAL = "'(?:[^']|'')*'";
    private static final Pattern CREATE = Pattern.compile("CREATE ROLE " + IDENT + ";");
    private static final Pattern ALTER = Pattern.compile("ALTER ROLE " + IDENT + " WITH((?: (?:NO)?(?:" + FLAG_NAMES
            + "))*)( CONNECTION LIMIT (-?\\d{1,10}))?( VALID UNTIL '((?:[^']|'')*)')?;");
    /** A membership option: ADMIN OPTION (every version), INHERIT / SET TRUE|FALSE (pg_dumpall 16 and later). */
    private static final String OPTION_TEXT = "(?:ADMIN OPTION|[A-Z]+ (?:TRUE|FALSE))";
    private static final Pattern GRANT = Pattern.compile("GRANT " + IDENT + " TO " + IDENT + "(?: WITH ("
            + OPTION_TEXT + "(?:, " + OPTION_TEXT + ")*))?(?: GRANTED BY " + IDENT + ")?;");
    private static final Pattern OPTION = Pattern.compile("([A-Z]+) (TRUE|FALSE|OPTION)");
    /** Lines that are recognised and not restored, by what they are. */
    private static final Map<String, Pattern> NOT_RESTORED = kinds();

    private static Map<String, Pattern> kinds() {
        Map<String, Pattern> k = new LinkedHashMap<>();
        k.put("role settings", Pattern.compile("ALTER ROLE " + IDENT + "(?: IN DATABASE " + IDENT + ")? SET .*;",
                Pattern.DOTALL));
        k.put("role comments", Pattern.compile("COMMENT ON ROLE " + IDENT + " IS " + LITERAL + ";"));
        k.put("security labels", Pattern.compile("SECURITY LABEL FOR [a-z_0-9\"]+ ON ROLE " + IDENT + " IS "
                + LITERAL + ";"));
        k.put("tablespaces", Pattern.compile("(?:CREATE|ALTER|COMMENT ON|SECURITY LABEL FOR .* ON) TABLESPACE .*;"
                + "|(?:GRANT|REVOKE) .* ON TABLESPACE .*;", Pattern.DOTALL));
        k.put("parameter privileges", Pattern.compile("(?:GRANT|REVOKE) .* ON PARAMETER .*;", Pattern.DOTALL));
        return k;
    }

    /** Session settings and psql's meta-commands (\restrict since 17.6/16.10/15.14): not statements about roles. */
    private static final Pattern PREAMBLE = Pattern.compile("SET [a-z_]+ = [^;]*;|\\\\(?:un)?restrict [A-Za-z0-9]+");

    private RoleStatements() {}

    static Parsed parse(String text) throws Unrecognised {
        Map<String, Role> roles = new LinkedHashMap<>();
        List<Membership> memberships = new ArrayList<>();
        Map<String, Integer> skipped = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int first = i;
            StringBuilder statement = new StringBuilder(lines[i]);
            while (open(statement) && i + 1 < lines.length) {
                statement.append('\n').append(lines[++i]);
            }
            String line = statement.toString();
            if (line.isBlank() || line.startsWith("--") || PREAMBLE.matcher(line).matches()) {
                continue;
            }
            if (!read(line, roles, memberships, skipped)) {
                throw new Unrecognised("line " + (first + 1) + " is not a statement pg_dumpall --globals-only writes: "
                        + shortened(line));
            }
        }
        return new Parsed(List.copyOf(roles.values()), List.copyOf(memberships), Map.copyOf(skipped));
    }

    private static boolean read(String line, Map<String, Role> roles, List<Membership> memberships,
            Map<String, Integer> skipped) throws Unrecognised {
        Matcher m = CREATE.matcher(line);
        if (m.matches()) {
            roles.putIfAbsent(ident(m.group(1)), new Role(ident(m.group(1)), Attributes.NONE));
            return true;
        }
        m = ALTER.matcher(line);
        if (m.matches()) {
            String name = ident(m.group(1));
            roles.put(name, new Role(name, attributes(m)));
            return true;
        }
        m = GRANT.matcher(line);
        if (m.matches()) {
            memberships.add(membership(m, line));
            return true;
        }
        for (Map.Entry<String, Pattern> kind : NOT_RESTORED.entrySet()) {
            if (kind.getValue().matcher(line).matches()) {
                skipped.merge(kind.getKey(), 1, Integer::sum);
                return true;
            }
        }
        return false;
    }

    private static Attributes attributes(Matcher m) {
        Map<String, Boolean> flags = new LinkedHashMap<>();
        for (String word : m.group(2).trim().split(" ")) {
            if (!word.isEmpty()) {
                boolean no = word.startsWith("NO");
                flags.put(no ? word.substring(2) : word, !no);
            }
        }
        Integer limit = m.group(4) == null ? null : Integer.valueOf(m.group(4));
        String until = m.group(6) == null ? null : m.group(6).replace("''", "'");
        return new Attributes(Map.copyOf(flags), limit, until);
    }

    private static Membership membership(Matcher m, String line) throws Unrecognised {
        String with = m.group(3);
        boolean admin = false;
        Boolean inherit = null;
        Boolean set = null;
        if (with != null) {
            Matcher o = OPTION.matcher(with);
            while (o.find()) {
                boolean value = !"FALSE".equals(o.group(2));
                switch (o.group(1)) {
                    case "ADMIN" -> admin = value;
                    case "INHERIT" -> inherit = value;
                    case "SET" -> set = value;
                    default -> throw new Unrecognised("unknown membership option " + o.group(1) + ": "
                            + shortened(line));
                }
            }
        }
        return new Membership(ident(m.group(1)), ident(m.group(2)), admin, inherit, set);
    }

    /** An identifier as PostgreSQL reads it: a quoted one without its quotes, doubled quotes made single. */
    static String ident(String token) {
        if (token.startsWith("\"")) {
            return token.substring(1, token.length() - 1).replace("\"\"", "\"");
        }
        return token;
    }

    /**
     * Whether a 'literal' or a "quoted identifier" is still open at the end: with standard_conforming_strings (which
     * pg_dumpall sets) a quote inside either is doubled, so each quote character toggles its own kind.
     */
    private static boolean open(CharSequence s) {
        char in = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (in == 0 && (c == '\'' || c == '"')) {
                in = c;
            } else if (c == in) {
                in = 0;
            }
        }
        return in != 0;
    }

    private static String shortened(String line) {
        String one = line.replaceAll("\\s+", " ");
        return one.length() > 120 ? one.substring(0, 120) + "..." : one;
    }
}
