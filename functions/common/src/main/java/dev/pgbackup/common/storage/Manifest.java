package dev.pgbackup.common.storage;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;

/**
 * What the backup worker knew when it completed a backup, written next to it under its environment's
 * prefix: the class (for retention), the SHA-256 of every byte uploaded (verified before a restore touches
 * anything), the tools and server versions, and what the dump left out.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(
        String filename,
        String environment,
        BackupClass backupClass,
        String jobId,
        Instant startedAt,
        Instant completedAt,
        long bytes,
        String sha256,
        String pgDumpVersion,
        String serverVersion,
        String compression,
        Map<String, Object> extra,
        String encryption,
        String kmsKeyId) {
    /**
     * {@code encryption}: {@link dev.pgbackup.common.config.EncryptionSettings#CLIENT_SIDE} when the workers encrypted
     * the archive (null: S3 holds pg_dump's archive itself); {@code kmsKeyId}: the key of its SSE-KMS and of its
     * client-side encryption (null: the bucket's default encryption).
     */
    public Manifest(String filename, String environment, BackupClass backupClass, String jobId, Instant startedAt,
                    Instant completedAt, long bytes, String sha256, String pgDumpVersion, String serverVersion,
                    String compression, Map<String, Object> extra) {
        this(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256, pgDumpVersion,
                serverVersion, compression, extra, null, null);
    }

    /** Whether the workers encrypted the archive (a restore decrypts it). */
    public boolean clientSideEncrypted() {
        return dev.pgbackup.common.config.EncryptionSettings.CLIENT_SIDE.equals(encryption);
    }
}
