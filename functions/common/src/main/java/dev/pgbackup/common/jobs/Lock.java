package dev.pgbackup.common.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.pgbackup.common.storage.Records;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * At most one job of a kind per environment: an object created with a conditional write (If-None-Match),
 * so of two simultaneous requests exactly one gets it. A lock not written for longer than the worker's
 * staleness belongs to an invocation that died without a word; it is replaced with a write conditioned on
 * its ETag, so two requests cannot both take over the same stale lock. A running worker renews its lock
 * ({@link LockHeartbeat}): on Lambda Managed Instances nothing stops an invocation at its timeout, so a job
 * may run (or clean up) past the staleness its lock had when it was taken, and must not lose it then.
 */
public final class Lock {
    private static final int ATTEMPTS = 4;
    private static final Holder UNKNOWN = new Holder("unknown", null, null, null, null);

    /**
     * Who holds the lock: the job, who asked for it, and the one file that job may touch; {@code renewedAt}
     * is null until a worker runs the job.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Holder(String jobId, String subject, String filename, Instant acquiredAt, Instant renewedAt) {}

    /** What {@link #acquire} did: got the lock (perhaps replacing a stale one), or found who holds it. */
    public record Outcome(boolean acquired, Holder holder, Holder replacedStale) {}

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

    String key() {
        return key;
    }

    public Outcome acquire(String jobId, String subject, String filename) {
        Holder mine = new Holder(jobId, subject, filename, clock.instant(), null);
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

    /**
     * Rewrites the lock while {@code jobId} holds it, conditional on the version read (If-Match): its staleness
     * starts again. False when the job no longer holds it (released, or taken over as stale).
     */
    boolean renew(String jobId) {
        Optional<Records.Versioned<Holder>> current = read();
        if (current.isEmpty() || !heldBy(current.get(), jobId)) {
            return false;
        }
        Holder held = current.get().value();
        return records.replace(key, new Holder(held.jobId(), held.subject(), held.filename(), held.acquiredAt(),
                clock.instant()), current.get().stored().eTag());
    }

    /** Who holds the lock now, if anyone. */
    public Optional<Holder> holder() {
        return read().map(Records.Versioned::value);
    }

    /** Releases the lock if {@code jobId} holds it; a lock another job holds is never touched. */
    public boolean release(String jobId) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Optional<Records.Versioned<Holder>> current = read();
            if (current.isEmpty() || !heldBy(current.get(), jobId)) {
                return false;
            }
            if (records.store().deleteIfMatch(key, current.get().stored().eTag())) {
                return true;
            }
            // changed since it was read: a renewal of our own still in flight, or a takeover; look again
        }
        return false;
    }

    private static boolean heldBy(Records.Versioned<Holder> lock, String jobId) {
        return lock.value() != UNKNOWN && jobId.equals(lock.value().jobId());
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
