package dev.pgbackup.common;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Job records as small JSON objects under {@code jobs/} in the backup bucket: no extra service to deploy,
 * and readable by both the API functions and the workers.
 */
public class JobStore {
    private static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final BackupStore store;
    private final Duration staleAfter;
    private final Clock clock;

    public JobStore(BackupStore store, Duration staleAfter, Clock clock) {
        this.store = store;
        this.staleAfter = staleAfter;
        this.clock = clock;
    }

    public static String newJobId() {
        return UUID.randomUUID().toString();
    }

    public static boolean isJobId(String id) {
        return id != null && JOB_ID.matcher(id).matches();
    }

    public void save(JobRecord job) {
        store.putJson("jobs/" + job.jobId() + ".json", Json.write(job));
    }

    /**
     * Takes a job for one worker invocation. Asynchronous invokes are delivered at least once: a second
     * delivery of the same job finds the claim and does nothing (rather than failing on the backup the
     * first delivery wrote, and recording that failure over its success).
     */
    public boolean claim(String jobId) {
        return store.createIfAbsent("jobs/" + jobId + ".claim", Json.write(java.util.Map.of("jobId", jobId,
                "claimedAt", clock.instant().toString())));
    }

    /**
     * The job, if it exists. A job still RUNNING well past the worker's limit died without a word
     * (killed by Lambda's timeout): it is reported FAILED rather than running for ever.
     */
    public Optional<JobRecord> find(String jobId) {
        if (!isJobId(jobId)) {
            return Optional.empty();
        }
        return store.getJson("jobs/" + jobId + ".json").map(stored -> {
            try {
                JobRecord job = Json.MAPPER.readValue(stored.json(), JobRecord.class);
                if (!job.finished() && job.createdAt().plus(staleAfter).isBefore(clock.instant())) {
                    return job.failed(clock.instant(), "The worker stopped without reporting a result (timed out or crashed); see its logs");
                }
                return job;
            } catch (java.io.IOException e) {
                throw new IllegalStateException("unreadable job record " + jobId, e);
            }
        });
    }
}
