package dev.pgbackup.common.jobs;

import dev.pgbackup.common.Json;
import dev.pgbackup.common.Once;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.time.Deadline;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The API side of a long job: record it, hand it to a worker, and wait up to a deadline. Small databases
 * get the old synchronous answer; larger ones a running job to poll.
 */
public final class JobRunner {
    static final java.time.Duration POLL = java.time.Duration.ofMillis(150);

    private final JobStore jobs;
    private final Supplier<WorkerLauncher> launcher;
    private final Clock clock;

    public JobRunner(JobStore jobs, Supplier<WorkerLauncher> launcher, Clock clock) {
        this.jobs = jobs;
        this.launcher = Once.of(launcher);
        this.clock = clock;
    }

    /**
     * Records the job, launches the worker and waits until {@code waitUntil}. It throws only when the job
     * record cannot be written (a server {@link Failure}): then no worker was invoked, and whatever the caller
     * reserved for the job is its to free. Once the invoke may have happened it never throws: a failed status
     * read keeps waiting, because a caller that saw an error would retry (or free a lock) while the job is in
     * fact running.
     */
    public JobStart startAndWait(JobRecord job, String workerFunction, WorkerPayload payload, Deadline waitUntil) {
        try {
            jobs.save(job);
        } catch (RuntimeException e) {
            String kind = job.type().name().charAt(0) + job.type().name().substring(1).toLowerCase();
            throw Failure.server(kind + " could not be started: its job record could not be written; nothing was "
                    + "started", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        try {
            launcher.get().launch(workerFunction, Json.write(payload.toMap()));
        } catch (WorkerLauncher.NotLaunched e) {
            JobRecord failed = job.failed(clock.instant(), "The worker could not be started", e.getMessage());
            jobs.save(failed);
            return new JobStart.NotLaunched(failed);
        } catch (RuntimeException e) {
            return new JobStart.LaunchUnknown(job);
        }
        while (!waitUntil.passed()) {
            // a small database finishes in a second or two: answering 150 ms after it did costs a few GETs
            if (!sleep(Math.max(1, Math.min(POLL.toMillis(), waitUntil.remaining().toMillis())))) {
                break;
            }
            Optional<JobRecord> current = read(job.jobId());
            if (current.isPresent() && current.get().finished()) {
                return new JobStart.Finished(current.get());
            }
        }
        return new JobStart.Running(job);
    }

    private Optional<JobRecord> read(String jobId) {
        try {
            return jobs.find(jobId);
        } catch (RuntimeException e) {
            return Optional.empty(); // a transient S3 error: the job runs regardless, keep waiting
        }
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
