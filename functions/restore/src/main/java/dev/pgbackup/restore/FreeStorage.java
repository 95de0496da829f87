package dev.pgbackup.restore;

import java.util.Optional;

/**
 * How much room the database server has for one more database, when the stack can tell: a swap restore and a drill
 * each build a whole copy next to the live database, and a full disk stops every database on the server, production's
 * writes included. The check itself ({@link #refusal}) is a rule on numbers; where the numbers come from (CloudWatch's
 * FreeStorageSpace of the RDS instance) is the implementation's.
 */
public interface FreeStorage {
    /** The server's free bytes, where they were read; or why they are not known. */
    record Reading(Long freeBytes, String source, String unknownBecause) {
        static Reading of(long freeBytes, String source) {
            return new Reading(freeBytes, source, null);
        }

        static Reading unknown(String because) {
            return new Reading(null, null, because);
        }
    }

    Reading read();

    /** A server whose free space this stack does not check (no DB instance identifier: Aurora, or not configured). */
    static FreeStorage unchecked(String because) {
        return () -> Reading.unknown(because);
    }

    /**
     * Why one more database of {@code databaseBytes} (the backup's pg_database_size; null when the backup did not
     * record it) does not fit with {@code marginPercent} to spare: empty when it fits. {@code notes} receives what was
     * or was not checked, for the job's details.
     */
    static Optional<String> refusal(Reading reading, Long databaseBytes, int marginPercent,
            java.util.List<String> notes) {
        if (reading.freeBytes() == null) {
            notes.add("free space not checked: " + reading.unknownBecause());
            return Optional.empty();
        }
        if (databaseBytes == null) {
            notes.add("free space not checked: the backup did not record its database's size (written before 2026-12)");
            return Optional.empty();
        }
        long needed = databaseBytes + databaseBytes * marginPercent / 100;
        if (reading.freeBytes() < needed) {
            return Optional.of("the database server has " + gb(reading.freeBytes()) + " free (" + reading.source()
                    + "), less than the " + gb(needed) + " one more copy needs (the backup's database was "
                    + gb(databaseBytes) + ", plus " + marginPercent + "% margin, FREE_SPACE_MARGIN_PERCENT); free "
                    + "space on the server (drop a kept _pre_restore_ copy, lower PreRestoreCopiesToKeep) or grow its "
                    + "storage");
        }
        notes.add("free space checked: " + gb(reading.freeBytes()) + " free, " + gb(needed) + " needed ("
                + reading.source() + ")");
        return Optional.empty();
    }

    private static String gb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
