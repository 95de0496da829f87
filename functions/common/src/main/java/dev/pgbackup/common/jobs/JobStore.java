package dev.pgbackup.common.jobs;

import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * This environment's job records and claims, under its own prefix (another environment can neither
 * write nor plant one). No extra service to deploy; readable by the API functions and the workers.
 */
public final class JobStore {
    private static final Pattern JOB_ID = Pattern
            .compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final Records records;
    private final StateKeys keys;
    /** Each worker's own staleness: its timeout plus its own maximum event age. */
    private final Function<JobRecord.Type, Duration> staleAfter;
    private final Clock clock;

    public JobStore(Records records, StateKeys keys, Function<JobRecord.Type, Duration> staleAfter, Clock clock) {
        this.records = records;
        this.keys = keys;
        this.staleAfter = staleAfter;
        this.clock = clock;
    }

    public static String newJobId() {
        return UUID.randomUUID().toString();
    }

    static boolean isJobId(String id) {
        return id != null && JOB_ID.matcher(id).matches();
    }

    public void save(JobRecord job) {
        records.write(keys.job(job.jobId()), job);
    }

    /**
     * Writes a running job's progress into its record, conditional on the version of the RUNNING record it
     * read (If-Match): once the final record is written, no progress write, however late, can replace it.
     * False when nothing was written (the job has finished, or its record changed in between).
     */
    boolean saveProgress(String jobId, JobRecord.Progress progress) {
        String key = keys.job(jobId);
        Optional<Records.Versioned<JobRecord>> current = records.readVersioned(key, JobRecord.class);
        if (current.isEmpty() || current.get().value().finished()) {
            return false;
        }
        return records.replace(key, current.get().value().withProgress(progress), current.get().stored().eTag());
    }

    /**
     * Takes a job for one worker invocation. Asynchronous invokes are delivered at least once: a second
     * delivery of the same job finds the claim and does nothing (rather than failing on what the first
     * delivery wrote, and recording that failure over its success). Claims expire with the job records.
     */
    public boolean claim(String jobId) {
        return records.create(keys.claim(jobId), Map.of("jobId", jobId, "claimedAt", clock.instant().toString()));
    }

    /**
     * The job, if it exists. A job still RUNNING well past its worker's limit died without a word
     * (killed by a timeout, out of memory): it is reported FAILED rather than running for ever.
     */
    public Optional<JobRecord> find(String jobId) {
        if (!isJobId(jobId)) {
            return Optional.empty();
        }
        return records.read(keys.job(jobId), JobRecord.class).map(job -> {
            Instant now = clock.instant();
            if (!job.finished() && job.createdAt().plus(staleAfter.apply(job.type())).isBefore(now)) {
                return job.failed(now, "The worker stopped without reporting a result (timed out or crashed); "
                        + "see its logs", null);
            }
            return job;
        });
    }
}
