package dev.pgbackup.common.storage;

import java.util.Optional;

/**
 * Why a backup was taken, which decides how long it is kept: scheduled backups are the history; on-demand
 * ones (API requests, safety backups before a restore) are kept apart so they can never push history out.
 */
public enum BackupClass {
    SCHEDULED("scheduled"), ON_DEMAND("on-demand");

    public final String key;

    BackupClass(String key) {
        this.key = key;
    }

    static Optional<BackupClass> fromKey(String key) {
        for (BackupClass c : values()) {
            if (c.key.equals(key)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
