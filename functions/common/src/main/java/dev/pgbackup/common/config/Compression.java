package dev.pgbackup.common.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How pg_dump compresses an archive: {@code zstd[:level]}, {@code lz4[:level]}, {@code gzip[:level]} or
 * {@code none}. zstd and lz4 need pg_dump 16 or later, and a pg_restore of 16 or later to read the archive.
 */
public record Compression(Method method, int level) {
    /** A method, its level range, the level pg_dump uses by default, and the first pg_dump that writes it. */
    enum Method {
        ZSTD(1, 19, 3, 16), LZ4(1, 12, 1, 16), GZIP(1, 9, 6, 0), NONE(0, 0, 0, 0);

        final int minLevel;
        final int maxLevel;
        final int defaultLevel;
        final int firstPgDump;

        Method(int minLevel, int maxLevel, int defaultLevel, int firstPgDump) {
            this.minLevel = minLevel;
            this.maxLevel = maxLevel;
            this.defaultLevel = defaultLevel;
            this.firstPgDump = firstPgDump;
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What BACKUP_COMPRESSION defaults to; chosen by the benchmark in benchmarks/ (see docs/benchmarks.md). */
    public static final String DEFAULT = "zstd:3";
    private static final Pattern SPEC = Pattern.compile("(zstd|lz4|gzip|none)(?::(\\d{1,2}))?");

    /** The setting, or an IllegalArgumentException whose message says what is accepted. */
    public static Compression parse(String text) {
        Matcher m = SPEC.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("must be zstd[:1-19], lz4[:1-12], gzip[:1-9] or none: " + text);
        }
        Method method = Method.valueOf(m.group(1).toUpperCase(Locale.ROOT));
        int level = m.group(2) == null ? method.defaultLevel : Integer.parseInt(m.group(2));
        if (method == Method.NONE && m.group(2) != null) {
            throw new IllegalArgumentException("'none' takes no level: " + text);
        }
        if (level < method.minLevel || level > method.maxLevel) {
            throw new IllegalArgumentException(method.label() + " levels are " + method.minLevel + " to "
                    + method.maxLevel + ": " + text);
        }
        return new Compression(method, level);
    }

    /** The oldest pg_dump major that writes this compression (0: any). */
    public int firstPgDumpMajor() {
        return method.firstPgDump;
    }

    /** pg_dump's argument for it: 15 and older only know a gzip level, 16 and later "method:level". */
    public String pgDumpArgument(int pgDumpMajor) {
        if (method == Method.NONE) {
            return "--compress=0";
        }
        if (method == Method.GZIP && pgDumpMajor < 16) {
            return "--compress=" + level;
        }
        return "--compress=" + method.label() + ":" + level;
    }

    @Override
    public String toString() {
        return method == Method.NONE ? "none" : method.label() + ":" + level;
    }
}
