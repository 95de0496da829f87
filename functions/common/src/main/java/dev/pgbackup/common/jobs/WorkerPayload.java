package dev.pgbackup.common.jobs;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a worker must do, in its invoke payload: the job, the environment it belongs to, the one file it may
 * write (backup) or read (restore), and how (the backup's class, or the restore mode). A worker checks it
 * against its own configuration and against the record or lock its own environment wrote; nothing another
 * environment could have written decides what it does.
 */
public record WorkerPayload(String jobId, String environment, String filename, String how) {

    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("jobId", jobId);
        map.put("environment", environment);
        map.put("filename", filename);
        map.put("how", how);
        return map;
    }

    /** The payload, if the event is one: four strings and a job id of the right shape; empty otherwise. */
    public static Optional<WorkerPayload> from(Map<String, Object> event) {
        if (event == null || event.size() != 4) {
            return Optional.empty();
        }
        Object jobId = event.get("jobId");
        Object environment = event.get("environment");
        Object filename = event.get("filename");
        Object how = event.get("how");
        if (!(jobId instanceof String id && JobStore.isJobId(id) && environment instanceof String env
                && filename instanceof String file && file.length() <= 200 && how instanceof String h)) {
            return Optional.empty();
        }
        return Optional.of(new WorkerPayload(id, env, file, h));
    }
}
