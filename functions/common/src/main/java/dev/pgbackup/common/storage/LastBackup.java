package dev.pgbackup.common.storage;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * This environment's newest complete backup, recorded by its backup worker when the upload completed. S3's
 * LastModified of a multipart upload is when the upload started, so recency needs this record; and the
 * start ({@code startedAt}, when pg_dump took its snapshot) tells whether it saw the last restore's result.
 * {@code databaseBytes} ({@code pg_database_size} then) lets the API refuse a backup too big for the window
 * without a connection to the database.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LastBackup(String filename, String jobId, Instant startedAt, Instant completedAt, Long bytes,
        Long databaseBytes) {}
