package dev.pgbackup.testsupport;

import dev.pgbackup.common.time.Deadline;
import java.time.Duration;

/** The monotonic clock, moved forward on demand: a deadline passes without the test waiting for it. */
public final class MovableTicker implements Deadline.Ticker {
    private volatile long offset;

    public void advance(Duration by) {
        offset += by.toNanos();
    }

    @Override
    public long nanos() {
        return System.nanoTime() + offset;
    }
}
