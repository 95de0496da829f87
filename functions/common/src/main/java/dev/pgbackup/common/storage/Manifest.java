package dev.pgbackup.common.storage;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pgbackup.common.config.DumpScope;
import java.time.Instant;
import java.util.Map;

/**
 * What the backup worker knew when it completed a backup, written next to it under its environment's
 * prefix: the class (for retention), the SHA-256 of every byte uploaded (verified before a restore touches
 * anything), the tools and server versions, and what the dump left out. The rows of every table, counted in the
 * snapshot pg_dump dumped, are in their own object ({@link RowCounts}, {@link StateKeys#rowCounts}), of
 * {@code countedTables} tables with SHA-256 {@code rowCountsSha256}; both null when the backup did not count
 * (counting off or over its bound): a restore drill compares them with what it restored. {@code rowCounts}: where
 * backups written before 2026-12 kept them, inline (read, never written). {@code databaseBytes}: the database's
 * {@code pg_database_size} when it was dumped, the room a restore needs (null in older manifests). {@code encryption}:
 * {@link dev.pgbackup.common.config.EncryptionSettings#CLIENT_SIDE} when the workers encrypted the archive (null:
 * S3 holds pg_dump's archive itself); {@code kmsKeyId}: the key of its SSE-KMS and of its client-side encryption
 * (null: the bucket's default encryption). {@code globals}: its roles object ({@link RoleGlobals}; null in backups
 * written before 2026-12, which restore without roles).
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
        String kmsKeyId,
        Integer countedTables,
        String rowCountsSha256,
        Long databaseBytes,
        RoleGlobals globals) {
    /** Manifests are read whole: one written before row counts had their own object holds up to 2,000 inline. */
    static final int MAX_BYTES = 1024 * 1024;

    /** Without row counts in their own object (every manifest before 2026-12). */
    public Manifest(String filename, String environment, BackupClass backupClass, String jobId, Instant startedAt,
            Instant completedAt, long bytes, String sha256, String pgDumpVersion, String serverVersion,
            String compression, Map<String, Object> extra, Map<String, Long> rowCounts, DumpScope scope,
            String encryption, String kmsKeyId) {
        this(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256, pgDumpVersion,
                serverVersion, compression, extra, rowCounts, scope, encryption, kmsKeyId, null, null, null, null);
    }

    /** A manifest of a whole-database dump (no {@code scope}: nothing left out), without row counts or encryption. */
    public Manifest(String filename, String environment, BackupClass backupClass, String jobId, Instant startedAt,
            Instant completedAt, long bytes, String sha256, String pgDumpVersion, String serverVersion,
            String compression, Map<String, Object> extra) {
        this(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256, pgDumpVersion,
                serverVersion, compression, extra, null, null, null, null, null, null, null, null);
    }

    /**
     * The same manifest with these row counts inline, as manifests before 2026-12 held them (the tests write such
     * manifests to prove they stay readable; the backup worker writes {@link #withRowCountsObject}).
     */
    public Manifest withRowCounts(Map<String, Long> counts) {
        return new Manifest(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256,
                pgDumpVersion, serverVersion, compression, extra,
                counts == null ? null : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(counts)), scope,
                encryption, kmsKeyId, countedTables, rowCountsSha256, databaseBytes, globals);
    }

    /** The same manifest, its row counts in their own object of {@code tables} tables and this SHA-256. */
    Manifest withRowCountsObject(int tables, String countsSha256) {
        return new Manifest(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256,
                pgDumpVersion, serverVersion, compression, extra, rowCounts, scope, encryption, kmsKeyId, tables,
                countsSha256, databaseBytes, globals);
    }

    /** The same manifest of a database of {@code bytes} (pg_database_size): the room a restore of it needs. */
    public Manifest withDatabaseBytes(Long bytes) {
        return new Manifest(filename, environment, backupClass, jobId, startedAt, completedAt, this.bytes, sha256,
                pgDumpVersion, serverVersion, compression, extra, rowCounts, scope, encryption, kmsKeyId, countedTables,
                rowCountsSha256, bytes, globals);
    }

    /** The same manifest with the backup's roles object described by {@code recorded}. */
    public Manifest withGlobals(RoleGlobals recorded) {
        return new Manifest(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256,
                pgDumpVersion, serverVersion, compression, extra, rowCounts, scope, encryption, kmsKeyId, countedTables,
                rowCountsSha256, databaseBytes, recorded);
    }

    /** Whether the backup recorded row counts (inline or in their own object). */
    public boolean hasRowCounts() {
        return rowCounts != null || countedTables != null;
    }

    /** The same manifest of a dump that left out what {@code dumped} says (null: the whole database). */
    public Manifest withScope(DumpScope dumped) {
        return new Manifest(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256,
                pgDumpVersion, serverVersion, compression, extra, rowCounts, dumped, encryption, kmsKeyId,
                countedTables, rowCountsSha256, databaseBytes, globals);
    }

    /** The same manifest of an archive encrypted as {@code how} under {@code keyId} (nulls: as S3's default). */
    public Manifest withEncryption(String how, String keyId) {
        return new Manifest(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256,
                pgDumpVersion, serverVersion, compression, extra, rowCounts, scope, how, keyId, countedTables,
                rowCountsSha256, databaseBytes, globals);
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
