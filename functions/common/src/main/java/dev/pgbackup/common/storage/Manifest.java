package dev.pgbackup.common.storage;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pgbackup.common.config.DumpScope;
import java.time.Instant;
import java.util.Map;

/**
 * What the backup worker knew when it completed a backup, written next to it under its environment's
 * prefix: the class (for retention), the SHA-256 of every byte uploaded (verified before a restore touches
 * anything), the tools and server versions, and what the dump left out. {@code rowCounts} ("schema.table" to
 * rows, counted in the snapshot pg_dump dumped) is null when the backup did not count (older backups, counting
 * off or over its bound): a restore drill compares them with what it restored. {@code encryption}:
 * {@link dev.pgbackup.common.config.EncryptionSettings#CLIENT_SIDE} when the workers encrypted the archive (null:
 * S3 holds pg_dump's archive itself); {@code kmsKeyId}: the key of its SSE-KMS and of its client-side encryption
 * (null: the bucket's default encryption).
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
        Map<String, Long> rowCounts,
        DumpScope scope,
        String encryption,
        String kmsKeyId) {
    /** A manifest of a whole-database dump (no {@code scope}: nothing left out), without row counts or encryption. */
    public Manifest(String filename, String environment, BackupClass backupClass, String jobId, Instant startedAt,
                    Instant completedAt, long bytes, String sha256, String pgDumpVersion, String serverVersion,
                    String compression, Map<String, Object> extra) {
        this(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256, pgDumpVersion,
                serverVersion, compression, extra, null, null, null, null);
    }

    /** The same manifest with these row counts (sorted by table, so the JSON reads and diffs well). */
    public Manifest withRowCounts(Map<String, Long> counts) {
        return new Manifest(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256,
                pgDumpVersion, serverVersion, compression, extra,
                counts == null ? null : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(counts)), scope,
                encryption, kmsKeyId);
    }

    /** The same manifest of a dump that left out what {@code dumped} says (null: the whole database). */
    public Manifest withScope(DumpScope dumped) {
        return new Manifest(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256,
                pgDumpVersion, serverVersion, compression, extra, rowCounts, dumped, encryption, kmsKeyId);
    }

    /** The same manifest of an archive encrypted as {@code how} under {@code keyId} (nulls: as S3's default). */
    public Manifest withEncryption(String how, String keyId) {
        return new Manifest(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256,
                pgDumpVersion, serverVersion, compression, extra, rowCounts, scope, how, keyId);
    }

    /** What the dump left out, for a restore to say, if anything. */
    public java.util.Optional<String> leftOut() {
        return scope == null ? java.util.Optional.empty() : scope.leftOut();
    }

    /** Whether the workers encrypted the archive (a restore decrypts it). */
    public boolean clientSideEncrypted() {
        return dev.pgbackup.common.config.EncryptionSettings.CLIENT_SIDE.equals(encryption);
    }
}
