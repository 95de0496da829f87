package dev.pgbackup.common.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.pgbackup.common.storage.Records;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * At most one job of a kind per environment: an object created with a conditional write (If-None-Match),
 * so of two simultaneous requests exactly one gets it. A lock older than the worker's staleness belongs to
 * an invocation that died without a word; it is replaced with a write conditioned on its ETag, so two
 * requests cannot both take over the same stale lock.
 */
public final class Lock {
    private static final int ATTEMPTS = 4;
    private static final Holder UNKNOWN = new Holder("unknown", null, null, null);

    /** Who holds the lock: the job, who asked for it, and the one file that job may touch. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Holder(String jobId, String subject, String filename, Instant acquiredAt) {
    }

    /** What {@link #acquire} did: got the lock (perhaps replacing a stale one), or found who holds it. */
    public record Outcome(boolean acquired, Holder holder, Holder replacedStale) {
    }

    private final Records records;
    private final String key;
    private final Duration staleAfter;
    private final Clock clock;

    public Lock(Records records, String key, Duration staleAfter, Clock clock) {
        this.records = records;
        this.key = key;
        this.staleAfter = staleAfter;
        this.clock = clock;
    }

    public String key() {
        return key;
    }

    public Outcome acquire(String jobId, String subject, String filename) {
        Holder mine = new Holder(jobId, subject, filename, clock.instant());
        Holder seen = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (records.create(key, mine)) {
                return new Outcome(true, mine, null);
            }
            Optional<Records.Versioned<Holder>> current = read();
            if (current.isEmpty()) {
                continue; // released between our write and our read: try again
            }
            seen = current.get().value();
            if (current.get().stored().lastModified().plus(staleAfter).isBefore(clock.instant())) {
                if (records.replace(key, mine, current.get().stored().eTag())) {
                    return new Outcome(true, mine, seen);
                }
                continue; // someone else replaced or released it first
            }
            return new Outcome(false, seen, null);
        }
        return new Outcome(false, seen != null ? seen : UNKNOWN, null);
    }

    /** Who holds the lock now, if anyone. */
    public Optional<Holder> holder() {
        return read().map(Records.Versioned::value);
    }

    /** Releases the lock if {@code jobId} holds it; a lock another job holds is never touched. */
    public boolean release(String jobId) {
        Optional<Records.Versioned<Holder>> current = read();
        if (current.isEmpty() || current.get().value() == UNKNOWN || !jobId.equals(current.get().value().jobId())) {
            return false;
        }
        return records.store().deleteIfMatch(key, current.get().stored().eTag());
    }

    private Optional<Records.Versioned<Holder>> read() {
        try {
            return records.readVersioned(key, Holder.class)
                    .map(v -> v.value().jobId() == null ? new Records.Versioned<>(UNKNOWN, v.stored()) : v);
        } catch (IllegalStateException unreadable) {
            // a lock we cannot parse still blocks: it is taken over only when stale
            return records.store().get(key).map(stored -> new Records.Versioned<>(UNKNOWN, stored));
        }
    }
}
