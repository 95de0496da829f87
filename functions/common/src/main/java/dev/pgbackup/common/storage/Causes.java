package dev.pgbackup.common.storage;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Looks through a failure for what a service answered: after retries the SDK may report its own error with the
 * answers among the suppressed exceptions, and the async clients wrap them in completion exceptions.
 */
final class Causes {
    private Causes() {}

    /** The first throwable in the chain (causes and suppressed, each seen once) that {@code wanted} accepts. */
    static Optional<Throwable> find(Throwable t, Predicate<Throwable> wanted) {
        ArrayDeque<Throwable> todo = new ArrayDeque<>(List.of(t));
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        while (!todo.isEmpty()) {
            Throwable x = todo.poll();
            if (x == null || !seen.add(x)) {
                continue;
            }
            if (wanted.test(x)) {
                return Optional.of(x);
            }
            if (x.getCause() != null) {
                todo.add(x.getCause());
            }
            todo.addAll(List.of(x.getSuppressed()));
        }
        return Optional.empty();
    }
}
