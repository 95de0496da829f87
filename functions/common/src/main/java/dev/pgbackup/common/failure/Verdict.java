package dev.pgbackup.common.failure;

/**
 * The words a failure's message opens with, one per job (or check) and how it ended, kept here so that no message
 * is worded by pasting a literal prefix and no caller has to cut one back off: a {@link Failure} built with a
 * verdict keeps its reason apart ({@link Failure#reason()}).
 */
public enum Verdict {
    BACKUP_FAILED("Backup failed: "), BACKUP_REFUSED("Backup refused: "), RESTORE_FAILED(
            "Restore failed: "), RESTORE_REFUSED("Restore refused: "), DRILL_FAILED(
                    "Restore drill failed: "), DRILL_REFUSED("Restore drill refused: "), REFRESH_FAILED(
                            "Refresh failed: "), REFRESH_REFUSED("Refresh refused: "), SAFETY_CHECK_FAILED(
                                    "Safety check failed: "), ACCESS_DENIED("Access denied: ");

    private final String words;

    Verdict(String words) {
        this.words = words;
    }

    /** The opening words, with the colon and space the reason follows. */
    String words() {
        return words;
    }

    /** The sentence a user reads: this verdict, then why (for messages that are not a {@link Failure}: job records). */
    public String message(String reason) {
        return words + reason;
    }
}
