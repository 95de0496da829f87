package dev.pgbackup.restore;

import dev.pgbackup.common.Hashes;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.function.Predicate;

/**
 * Names of the databases a restore creates next to the target ({@code <db>_restore_<ts>} while it is being
 * built, {@code <db>_pre_restore_<ts>} for the old one after the swap), within PostgreSQL's 63-byte limit,
 * a restore drill's scratch database ({@code <db>_drill_<ts>}), a restore beside the target ({@code <db>_copy_<ts>}),
 * and SQL quoting for names that come from
 * configuration.
 */
public final class DatabaseNames {
    /** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated by the server. */
    public static final int MAX_BYTES = 63;
    static final String RESTORE_INFIX = "_restore_";
    static final String PRE_RESTORE_INFIX = "_pre_restore_";
    static final String DRILL_INFIX = "_drill_";
    static final String COPY_INFIX = "_copy_";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss")
            .withZone(ZoneOffset.UTC);
    /** Two restores in one second (or a clock that steps back) must still get distinct names. */
    static final int MAX_COUNTER = 99;
    /** Longest suffix: "_pre_restore_" + "yyyyMMdd_HHmmss" + "_99". */
    private static final int SUFFIX_BYTES = PRE_RESTORE_INFIX.length() + 15 + 3;

    private final String target;
    private final String base;

    public DatabaseNames(String target) {
        if (target == null || target.isEmpty() || target.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid database name");
        }
        if (bytes(target) > MAX_BYTES) {
            throw new IllegalArgumentException("database name longer than 63 bytes: " + target);
        }
        this.target = target;
        this.base = base(target);
    }

    public String target() {
        return target;
    }

    /** The database being built from the backup: a name no database on the server has ({@code taken}). */
    public String restoring(Instant when, Predicate<String> taken) {
        return unique(base + RESTORE_INFIX + STAMP.format(when), taken);
    }

    /** The old database after the swap: a name no database on the server has ({@code taken}). */
    public String preRestore(Instant when, Predicate<String> taken) {
        return unique(base + PRE_RESTORE_INFIX + STAMP.format(when), taken);
    }

    /**
     * The timestamp is for people; uniqueness comes from the server's own list of databases, so two
     * restores finishing in the same second (one restore per target runs at a time) never collide.
     */
    private static String unique(String name, Predicate<String> taken) {
        if (!taken.test(name)) {
            return name;
        }
        for (int n = 2; n <= MAX_COUNTER; n++) {
            String candidate = name + "_" + n;
            if (!taken.test(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("databases " + name + "_2 to _" + MAX_COUNTER + " all exist");
    }

    /** A restore drill's scratch database: a name no database on the server has ({@code taken}). */
    public String drill(Instant when, Predicate<String> taken) {
        return unique(base + DRILL_INFIX + STAMP.format(when), taken);
    }

    /** A restore beside the target ({@code "into": "copy"}): a name no database on the server has ({@code taken}). */
    public String copy(Instant when, Predicate<String> taken) {
        return unique(base + COPY_INFIX + STAMP.format(when), taken);
    }

    /**
     * The target's name, or, when a suffix would push it past 63 bytes, its first bytes (on a character
     * boundary) plus a short hash of the whole name so that two long names never share generated names.
     */
    static String base(String target) {
        int room = MAX_BYTES - SUFFIX_BYTES;
        if (bytes(target) <= room) {
            return target;
        }
        String hash = Hashes.hex(Hashes.sha256(target)).substring(0, 8);
        return truncateToBytes(target, room - 1 - hash.length()) + "_" + hash;
    }

    static String truncateToBytes(String text, int maxBytes) {
        StringBuilder out = new StringBuilder();
        int used = 0;
        for (int i = 0; i < text.length();) {
            int cp = text.codePointAt(i);
            int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (used + n > maxBytes) {
                break;
            }
            out.appendCodePoint(cp);
            used += n;
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** A double-quoted SQL identifier (names come from configuration and may need it). */
    public static String quoteIdent(String name) {
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier contains NUL");
        }
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** A single-quoted SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
    public static String quoteLiteral(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("literal contains NUL");
        }
        return "'" + value.replace("'", "''") + "'";
    }

    /** A libpq connection-string value, so that pg_restore's {@code --dbname} is never parsed as a URI or key=value list. */
    public static String conninfoDbname(String name) {
        return "dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
