package dev.pgbackup.common.config;

import java.time.Duration;

/**
 * Databases a restore made beside the current one ({@code "into": "copy"}, a table-only restore): each is dropped by
 * this stack once it is {@code expiry} old, and at most {@code keep} exist at once (the oldest is dropped first), so
 * copies nobody cleans up never fill the server's disk.
 */
public record CopySettings(Duration expiry, int keep) {}
