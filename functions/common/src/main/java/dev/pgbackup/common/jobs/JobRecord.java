package dev.pgbackup.common.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * What the API can tell about a backup or restore job: written by the API (or the schedule) at start, by
 * the worker at the end. {@code diagnostic} is scrubbed operator detail (a tool's stderr): kept in the
 * environment's own record and log, never shown to callers.
 */
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
        String details,
        String diagnostic,
        java.util.Map<String, Long> timings,
        Progress progress,
        String failure,
        String into,
        java.util.List<String> tables,
        String database,
        String roles) {

    /** Where a running job is: its phase, bytes done of the expected total, and the item it works on. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Progress(String phase, Long bytesDone, Long bytesTotal, Integer percent, String current,
            Instant updatedAt) {}

    /** DRILL: a restore drill, the newest backup restored into a scratch database and checked (never the target). */
    public enum Type {
        BACKUP, RESTORE, DRILL
    }

    public enum Status {
        RUNNING, SUCCEEDED, FAILED
    }

    public static JobRecord started(String jobId, Type type, String environment, String filename, String requestedBy,
            String trigger, Instant now) {
        return new JobRecord(jobId, type, Status.RUNNING, environment, filename, requestedBy, trigger, now,
                null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * The same restore job writing a new database beside the environment's ({@code into} "copy"), of only
     * {@code tables} when not null: what the API accepted, which the worker holds its invoke payload against.
     */
    public JobRecord into(String into, java.util.List<String> tables) {
        return new JobRecord(jobId, type, status, environment, filename, requestedBy, trigger, createdAt, finishedAt,
                durationMs, bytes, message, details, diagnostic, timings, progress, failure, into,
                tables == null ? null : java.util.List.copyOf(tables), database, roles);
    }

    /** The same restore job with what it does with the backup's roles ({@code roles}: null for nothing). */
    public JobRecord withRoles(String options) {
        return new JobRecord(jobId, type, status, environment, filename, requestedBy, trigger, createdAt, finishedAt,
                durationMs, bytes, message, details, diagnostic, timings, progress, failure, into, tables, database,
                options);
    }

    /** The same job with the database it wrote (a copy's new name). */
    public JobRecord withDatabase(String written) {
        return new JobRecord(jobId, type, status, environment, filename, requestedBy, trigger, createdAt, finishedAt,
                durationMs, bytes, message, details, diagnostic, timings, progress, failure, into, tables, written,
                roles);
    }

    public JobRecord succeeded(Instant now, Long bytes, String message, String details) {
        return finish(Status.SUCCEEDED, now, bytes, message, details, null, null);
    }

    public JobRecord failed(Instant now, String message, String diagnostic) {
        return finish(Status.FAILED, now, bytes, message, details, diagnostic, null);
    }

    /** Failed for a reason of the given kind ({@link dev.pgbackup.common.failure.Failure.Kind} name): the API's answer. */
    public JobRecord failed(Instant now, String message, String diagnostic, String kind) {
        return finish(Status.FAILED, now, bytes, message, details, diagnostic, kind);
    }

    private JobRecord finish(Status status, Instant now, Long bytes, String message, String details, String diagnostic,
            String kind) {
        return new JobRecord(jobId, type, status, environment, filename, requestedBy, trigger, createdAt, now,
                now.toEpochMilli() - createdAt.toEpochMilli(), bytes, message, details, diagnostic, timings, null, kind,
                into, tables, database, roles);
    }

    /** The same job with the time each step took. */
    public JobRecord withTimings(java.util.Map<String, Long> steps) {
        return new JobRecord(jobId, type, status, environment, filename, requestedBy, trigger, createdAt, finishedAt,
                durationMs, bytes, message, details, diagnostic, steps, progress, failure, into, tables, database,
                roles);
    }

    /** The same running job with its progress. */
    JobRecord withProgress(Progress now) {
        return new JobRecord(jobId, type, status, environment, filename, requestedBy, trigger, createdAt, finishedAt,
                durationMs, bytes, message, details, diagnostic, timings, now, failure, into, tables, database,
                roles);
    }

    public boolean finished() {
        return status != Status.RUNNING;
    }

    /** What a worker invocation returns (visible in the Lambda console and the runtime emulator). */
    public java.util.Map<String, Object> summary() {
        java.util.Map<String, Object> result = new java.util.LinkedHashMap<>();
        result.put("jobId", jobId);
        result.put("status", status.name());
        result.put("filename", filename);
        result.put("message", message);
        return result;
    }
}
