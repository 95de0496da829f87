package dev.pgbackup.common;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * A step run on a thread of its own while the caller goes on with others. The caller always settles it before it
 * goes past the point where the step's outcome matters, so what it returned or threw is known there and it never
 * outlives the job.
 */
public final class Beside<T> {
    private final CompletableFuture<T> outcome = new CompletableFuture<>();

    private Beside() {}

    public static <T> Beside<T> start(String threadName, Supplier<T> step) {
        Beside<T> beside = new Beside<>();
        Thread thread = new Thread(() -> {
            try {
                beside.outcome.complete(step.get());
            } catch (RuntimeException | Error e) {
                beside.outcome.completeExceptionally(e);
            }
        }, threadName);
        thread.setDaemon(true);
        thread.start();
        return beside;
    }

    /** Waits until the step has ended, whatever its outcome (the step itself is bounded by the job's deadline). */
    public void settle() {
        outcome.handle((value, failure) -> null).join();
    }

    /** What the step returned, or what it threw, unchanged; waits for it if it has not ended. */
    public T result() {
        try {
            return outcome.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw (Error) e.getCause();
        }
    }
}
