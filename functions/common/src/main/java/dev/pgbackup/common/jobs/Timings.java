package dev.pgbackup.common.jobs;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** How long each step of a job took (milliseconds, in order), for the job record and the audit line. */
public final class Timings {
    private final Map<String, Long> steps = Collections.synchronizedMap(new LinkedHashMap<>());

    public <T> T time(String step, Supplier<T> work) {
        long start = System.nanoTime();
        try {
            return work.get();
        } finally {
            add(step, (System.nanoTime() - start) / 1_000_000);
        }
    }

    public void time(String step, Runnable work) {
        time(step, () -> {
            work.run();
            return null;
        });
    }

    public void add(String step, long millis) {
        steps.merge(step, millis, Long::sum);
    }

    Map<String, Long> asMap() {
        synchronized (steps) {
            return Map.copyOf(new LinkedHashMap<>(steps));
        }
    }

    /** In order, for the record (Map.copyOf does not keep it). */
    public LinkedHashMap<String, Long> ordered() {
        synchronized (steps) {
            return new LinkedHashMap<>(steps);
        }
    }
}
