package dev.pgbackup.common.jobs;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a running job's lock from going stale: renews it when the job starts and then every {@link #EVERY}
 * until {@link #close()}, which the worker calls before it releases the lock. A worker that dies stops
 * renewing, and its lock goes stale one staleness after its last renewal.
 */
public final class LockHeartbeat implements AutoCloseable {
    /** A quarter of the shortest staleness a lock can have (60 s timeout + 60 s event age + 2 min). */
    public static final Duration EVERY = Duration.ofMinutes(1);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lock-heartbeat");
        t.setDaemon(true);
        return t;
    });

    private LockHeartbeat(Lock lock, String jobId, Duration every) {
        timer.scheduleWithFixedDelay(() -> renew(lock, jobId), every.toMillis(), every.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Renews the lock now (the lock shows from the start that a worker runs the job), then every {@code every}. */
    public static LockHeartbeat start(Lock lock, String jobId, Duration every) {
        renew(lock, jobId);
        return new LockHeartbeat(lock, jobId, every);
    }

    private static void renew(Lock lock, String jobId) {
        try {
            lock.renew(jobId);
        } catch (RuntimeException e) {
            // one failed renewal costs nothing: the lock stays fresh for a whole staleness after the last one
        }
    }

    /** Stops renewing and waits for a renewal in flight, so that the release that follows sees the last version. */
    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
