package dev.pgbackup.common;

import java.time.Instant;

/** A complete backup in the bucket: only whole objects exist, so a listed backup is a restorable one. */
public record BackupObject(BackupName name, Instant lastModified, long size) {
    public String filename() {
        return name.filename();
    }
}
