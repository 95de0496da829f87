package dev.pgbackup.common.storage;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pgbackup.common.config.DumpScope;
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
        DumpScope scope) {

    /** A manifest of a whole-database dump (no {@code scope}: nothing was left out). */
    public Manifest(String filename, String environment, BackupClass backupClass, String jobId, Instant startedAt,
                    Instant completedAt, long bytes, String sha256, String pgDumpVersion, String serverVersion,
                    String compression, Map<String, Object> extra) {
        this(filename, environment, backupClass, jobId, startedAt, completedAt, bytes, sha256, pgDumpVersion,
                serverVersion, compression, extra, null);
    }

    /** What the dump left out, for a restore to say, if anything. */
    public java.util.Optional<String> leftOut() {
        return scope == null ? java.util.Optional.empty() : scope.leftOut();
    }
}
