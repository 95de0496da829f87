package dev.pgbackup.common;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/** What the API can tell about a backup or restore job: written by the API at start, by the worker at the end. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobRecord(
        String jobId,
        Type type,
        Status status,
        String environment,
        String filename,
        String requestedBy,
        String trigger,
        Instant createdAt,
        Instant finishedAt,
        Long durationMs,
        Long bytes,
        String message,
        String details) {

    public enum Type { BACKUP, RESTORE }

    public enum Status { RUNNING, SUCCEEDED, FAILED }

    public static JobRecord started(String jobId, Type type, String environment, String filename, String requestedBy,
                                    String trigger, Instant now) {
        return new JobRecord(jobId, type, Status.RUNNING, environment, filename, requestedBy, trigger, now,
                null, null, null, null, null);
    }

    public JobRecord succeeded(Instant now, Long bytes, String message, String details) {
        return finish(Status.SUCCEEDED, now, bytes, message, details);
    }

    public JobRecord failed(Instant now, String message) {
        return finish(Status.FAILED, now, bytes, message, details);
    }

    private JobRecord finish(Status status, Instant now, Long bytes, String message, String details) {
        return new JobRecord(jobId, type, status, environment, filename, requestedBy, trigger, createdAt, now,
                now.toEpochMilli() - createdAt.toEpochMilli(), bytes, message, details);
    }

    public boolean finished() {
        return status != Status.RUNNING;
    }
}
