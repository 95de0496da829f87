package dev.pgbackup.common.time;

import com.amazonaws.services.lambda.runtime.Context;
import java.time.Duration;

/**
 * When a step must have stopped: built once per invocation from Lambda's remaining time, less a margin,
 * and measured on a monotonic {@link Ticker}. Business time (names, records, staleness) comes from the
 * injected {@link java.time.Clock}; how long is left never does, so a clock that steps cannot stretch a
 * deadline. Tests move a ticker instead of waiting.
 */
public final class Deadline {
    /** Monotonic nanoseconds: {@link System#nanoTime()} in production. */
    @FunctionalInterface
    public interface Ticker {
        Ticker SYSTEM = System::nanoTime;

        long nanos();
    }

    private final Ticker ticker;
    private final long endNanos;

    private Deadline(Ticker ticker, long endNanos) {
        this.ticker = ticker;
        this.endNanos = endNanos;
    }

    public static Deadline in(Duration duration) {
        return in(Ticker.SYSTEM, duration);
    }

    public static Deadline in(Ticker ticker, Duration duration) {
        return new Deadline(ticker, ticker.nanos() + duration.toNanos());
    }

    /**
     * The invocation's own deadline less {@code margin}, at least one second away (a worker started too late
     * still records why it stopped). Lambda Managed Instances do not stop an invocation at its timeout, so
     * the worker must stop itself here.
     */
    public static Deadline fromContext(Ticker ticker, Context context, Duration margin) {
        long remaining = context == null ? Duration.ofDays(1).toMillis() : context.getRemainingTimeInMillis();
        return in(ticker, Duration.ofMillis(Math.max(1000, remaining - margin.toMillis())));
    }

    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, endNanos - ticker.nanos()));
    }

    public boolean passed() {
        return endNanos - ticker.nanos() <= 0;
    }

    /** The earlier of this deadline and {@code other} from now. */
    public Deadline atMost(Duration other) {
        long candidate = ticker.nanos() + other.toNanos();
        return candidate - endNanos < 0 ? new Deadline(ticker, candidate) : this;
    }

    @Override
    public String toString() {
        return "deadline in " + remaining().toMillis() + " ms";
    }
}
