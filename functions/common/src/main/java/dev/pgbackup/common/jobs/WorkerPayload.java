package dev.pgbackup.common.jobs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a worker must do, in its invoke payload: the job, the environment it belongs to, the one file it may
 * write (backup) or read (restore), and how (the backup's class, or the restore mode, or COPY for a restore into a
 * new database beside the environment's); a restore of only some tables names them. A worker checks it against its
 * own configuration and against the record or lock its own environment wrote; nothing another environment could
 * have written decides what it does. {@code roles}: what a restore does with the backup's roles (null: nothing).
 */
public record WorkerPayload(String jobId, String environment, String filename, String how, List<String> tables,
        String roles) {
    /** The most table names a payload carries (the API accepts no more). */
    public static final int MAX_TABLES = 100;
    private static final java.util.Set<String> REQUIRED = java.util.Set.of("jobId", "environment", "filename", "how");
    private static final java.util.Set<String> KNOWN = java.util.Set.of("jobId", "environment", "filename", "how",
            "tables", "roles");

    public WorkerPayload(String jobId, String environment, String filename, String how) {
        this(jobId, environment, filename, how, null, null);
    }

    public WorkerPayload(String jobId, String environment, String filename, String how, List<String> tables) {
        this(jobId, environment, filename, how, tables, null);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("jobId", jobId);
        map.put("environment", environment);
        map.put("filename", filename);
        map.put("how", how);
        if (tables != null) {
            map.put("tables", tables);
        }
        if (roles != null) {
            map.put("roles", roles);
        }
        return map;
    }

    /**
     * The payload, if the event is one: four strings and a job id of the right shape, and optionally a list of table
     * names and the role options; empty otherwise.
     */
    public static Optional<WorkerPayload> from(Map<String, Object> event) {
        if (event == null || !event.keySet().containsAll(REQUIRED) || !KNOWN.containsAll(event.keySet())) {
            return Optional.empty();
        }
        Object roles = event.get("roles");
        if (roles != null && !(roles instanceof String r && r.length() <= 40)) {
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
        List<String> tables = null;
        if (event.containsKey("tables")) {
            if (!(event.get("tables") instanceof List<?> list) || list.isEmpty() || list.size() > MAX_TABLES) {
                return Optional.empty();
            }
            tables = new ArrayList<>();
            for (Object t : list) {
                if (!(t instanceof String name) || name.length() > 200) {
                    return Optional.empty();
                }
                tables.add(name);
            }
        }
        return Optional.of(new WorkerPayload(id, env, file, h, tables == null ? null : List.copyOf(tables),
                (String) roles));
    }
}
