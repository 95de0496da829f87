package dev.pgbackup.common.storage;

import java.time.Instant;

/**
 * A complete backup in the bucket: only whole objects exist, so a listed backup is a restorable one. The
 * ETag pins the version that was checked, so a later read gets the same bytes or fails.
 */
public record BackupObject(BackupName name, Instant lastModified, long size, String eTag) {
    public String filename() {
        return name.filename();
    }

    public String environment() {
        return name.environment();
    }
}
