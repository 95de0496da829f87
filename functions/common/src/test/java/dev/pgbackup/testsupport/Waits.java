package dev.pgbackup.testsupport;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/** Waiting on a condition (never a fixed sleep standing in for one). */
public final class Waits {
    private Waits() {}

    public static <T> T until(Duration timeout, String what, Supplier<T> probe) {
        Instant until = Instant.now().plus(timeout);
        while (true) {
            T value = probe.get();
            if (value != null && !Boolean.FALSE.equals(value)) {
                return value;
            }
            if (Instant.now().isAfter(until)) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            pause(Duration.ofMillis(100));
        }
    }

    static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
