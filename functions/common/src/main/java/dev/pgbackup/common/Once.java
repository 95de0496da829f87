package dev.pgbackup.common;

import java.util.function.Supplier;

/**
 * A value made on the first call and shared after it: what a function builds only when a job needs it (a client its
 * jar may not even carry, an encryption engine), once per container and safe for concurrent invocations.
 */
public final class Once<T> implements Supplier<T> {
    private final Supplier<T> make;
    private T value;

    private Once(Supplier<T> make) {
        this.make = make;
    }

    public static <T> Once<T> of(Supplier<T> make) {
        return new Once<>(make);
    }

    @Override
    public synchronized T get() {
        if (value == null) {
            value = make.get();
        }
        return value;
    }
}
