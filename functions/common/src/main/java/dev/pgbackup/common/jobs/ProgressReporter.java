package dev.pgbackup.common.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Writes a running job's progress into its record, at most every few seconds and never on the thread that
 * moves the data (a slow S3 write must not slow pg_dump). Each write is conditional on the RUNNING record it
 * read ({@link JobStore#saveProgress}), so a write that runs late (after {@link #close()} stopped waiting for
 * it, or racing the worker's final save) can never replace the job's final record.
 */
public final class ProgressReporter implements AutoCloseable {
    static final Duration EVERY = Duration.ofSeconds(3);

    private final JobStore jobs;
    private final JobRecord job;
    private final Clock clock;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "job-progress");
        t.setDaemon(true);
        return t;
    });
    private volatile long lastWrite = System.nanoTime() - EVERY.toNanos();
    private volatile String phase = "starting";

    public ProgressReporter(JobStore jobs, JobRecord job, Clock clock) {
        this.jobs = jobs;
        this.job = job;
        this.clock = clock;
    }

    /** A reporter that writes nothing (a step run outside a job). */
    public static ProgressReporter none() {
        return new ProgressReporter(null, null, Clock.systemUTC());
    }

    /** A new phase is written at once. */
    public void phase(String name, Long bytesTotal) {
        phase = name;
        write(new JobRecord.Progress(name, null, bytesTotal, null, null, clock.instant()), true);
    }

    /** Bytes done of the total (null when unknown), and what is being worked on (may be null). */
    public void bytes(long done, Long total, String current) {
        Integer percent = total == null || total <= 0 ? null : (int) Math.min(99, done * 100 / total);
        write(new JobRecord.Progress(phase, done, total, percent, current, clock.instant()), false);
    }

    /** Items done of a known number (a restore's table-of-contents entries), as a percentage. */
    public void items(long done, long total, String current) {
        Integer percent = total <= 0 ? null : (int) Math.min(99, done * 100 / total);
        write(new JobRecord.Progress(phase, null, null, percent, current, clock.instant()), false);
    }

    private void write(JobRecord.Progress progress, boolean now) {
        if (jobs == null || writer.isShutdown()) {
            return;
        }
        long t = System.nanoTime();
        if (!now && t - lastWrite < EVERY.toNanos()) {
            return;
        }
        lastWrite = t;
        try {
            writer.execute(() -> {
                try {
                    jobs.saveProgress(job.jobId(), progress);
                } catch (RuntimeException e) {
                    // progress is a courtesy: the job goes on whatever S3 said
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the job has ended
        }
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
