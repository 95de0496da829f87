package dev.pgbackup.common.storage;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/** When a restore last changed this environment's database (the swap, or an in-place drop). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LastRestore(String jobId, String filename, Instant changedAt) {}
