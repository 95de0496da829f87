package dev.pgbackup.backup;

import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.worker.PayloadCheck;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Turns a worker event into the backup it must make, or into nothing. An API job is accepted only as its
 * invoke payload says, for this environment, for a name of this environment, matching the job record and
 * holding the environment's backup lock; a scheduled event makes its own job (a repeated delivery of the
 * same schedule execution is recognised by its id). Only one backup of an environment runs at a time.
 */
public final class BackupAssignments {
    /** A backup this invocation runs: it holds the lock and has claimed the job. */
    record Assignment(JobRecord job, BackupClass backupClass) {}

    /** A job this invocation may not run, and why; {@code job} is recorded FAILED when it is this environment's. */
    static final class Refused extends RuntimeException {
        final JobRecord job;

        Refused(JobRecord job, String reason) {
            super(reason);
            this.job = job;
        }
    }

    private static final Duration LOCK_POLL = Duration.ofSeconds(5);
    private static final Duration LONGEST_LOCK_WAIT = Duration.ofMinutes(10);

    private final Config config;
    private final JobStore jobs;
    private final Lock lock;
    private final Predicate<String> exists;
    private final Clock clock;

    BackupAssignments(Config config, JobStore jobs, Lock lock, Predicate<String> exists, Clock clock) {
        this.config = config;
        this.jobs = jobs;
        this.lock = lock;
        this.exists = exists;
        this.clock = clock;
    }

    /** The job of one schedule execution: the same for every delivery of it, different for every execution. */
    public static String scheduledJobId(Config config, String executionId) {
        return UUID.nameUUIDFromBytes((config.appName() + "/" + config.environment() + "/schedule/" + executionId)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    static boolean isScheduled(Map<String, Object> event) {
        return event != null && "aws.events".equals(event.get("source"))
                && "Scheduled Event".equals(event.get("detail-type"));
    }

    /** The API's job from its payload; empty when there is nothing to run (unknown, finished, already claimed). */
    Optional<Assignment> fromPayload(WorkerPayload payload) {
        boolean mine = BackupName.parse(config.appName(), payload.filename())
                .filter(n -> n.environment().equals(config.environment())).isPresent();
        PayloadCheck.Verdict verdict = new PayloadCheck(config.environment(), jobs, lock, JobRecord.Type.BACKUP)
                .check(payload, job -> mine && BackupClass.ON_DEMAND.key.equals(payload.how()));
        JobRecord job = verdict.job();
        return switch (verdict.found()) {
            case OTHER_ENVIRONMENT -> throw new Refused(null, "the job is for environment '" + payload.environment()
                    + "', not this one");
            case DISAGREES -> throw new Refused(job,
                    "the job record and the invoke payload disagree (file or class); nothing was written");
            case LOCK_NOT_HELD -> throw new Refused(job, "this job does not hold the backup lock of '"
                    + config.environment() + "' (another backup may be running); nothing was written");
            case NOT_RUNNING -> Optional.empty();
            // empty when another delivery claimed it first
            case ACCEPTED -> jobs.claim(job.jobId()) ? Optional.of(new Assignment(job, BackupClass.ON_DEMAND))
                    : Optional.empty();
        };
    }

    /**
     * The schedule's job: claimed by the schedule execution's id, then the backup lock, waiting for a running
     * on-demand backup to finish (the schedule must not be skipped because someone pressed a button).
     */
    Optional<Assignment> fromSchedule(Map<String, Object> event, Deadline deadline) {
        Object executionId = event.get("id");
        String jobId = executionId instanceof String id && !id.isBlank()
                ? scheduledJobId(config, id) : JobStore.newJobId();
        if (!jobs.claim(jobId)) {
            return Optional.empty(); // EventBridge delivered this execution twice
        }
        Deadline lockWait = deadline.atMost(LONGEST_LOCK_WAIT);
        while (true) {
            String filename = freeName(lockWait);
            Lock.Outcome taken = lock.acquire(jobId, "schedule", filename);
            JobRecord job = JobRecord.started(jobId, JobRecord.Type.BACKUP, config.environment(), filename, "schedule",
                    "schedule", clock.instant());
            if (taken.acquired()) {
                jobs.save(job);
                return Optional.of(new Assignment(job, BackupClass.SCHEDULED));
            }
            if (lockWait.passed()) {
                jobs.save(job);
                throw new Refused(job, "A backup of '" + config.environment() + "' (job " + taken.holder().jobId()
                        + ") was still running after " + LONGEST_LOCK_WAIT.toMinutes()
                        + " minutes; the scheduled backup did not run");
            }
            pause(lockWait);
        }
    }

    /**
     * A name no backup has: names have a one-second resolution, and the schedule must not fail because an
     * on-demand backup finished in the same second (a few tries, then the usual "already exists" failure).
     */
    private String freeName(Deadline until) {
        String filename = BackupName.create(config, clock.instant()).filename();
        for (int attempt = 0; attempt < 3 && exists.test(filename) && !until.passed(); attempt++) {
            pause(until, Duration.ofMillis(1100));
            filename = BackupName.create(config, clock.instant()).filename();
        }
        return filename;
    }

    private static void pause(Deadline until) {
        pause(until, LOCK_POLL);
    }

    private static void pause(Deadline until, Duration atMost) {
        try {
            Thread.sleep(Math.max(1, Math.min(atMost.toMillis(), until.remaining().toMillis())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the backup lock");
        }
    }
}
