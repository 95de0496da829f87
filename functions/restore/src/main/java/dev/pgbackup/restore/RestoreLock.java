package dev.pgbackup.restore;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.pgbackup.common.BackupStore;
import dev.pgbackup.common.Config;
import dev.pgbackup.common.Json;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * At most one restore per app and environment: an S3 object {@code locks/<app>-<env>-restore.lock} created
 * with a conditional write (If-None-Match), so of two simultaneous requests exactly one gets it. A lock
 * older than {@link dev.pgbackup.common.Config#staleAfter()} belongs to a worker Lambda killed without a word; it is
 * replaced with a write conditioned on its ETag, so two requests cannot both take over the same stale lock.
 */
public class RestoreLock {
    private static final int ATTEMPTS = 4;

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Holder(String jobId, String subject, String filename, Instant acquiredAt) {
    }

    /** What {@link #acquire} did: got the lock (perhaps replacing a stale one), or found who holds it. */
    public record Outcome(boolean acquired, Holder holder, Holder replacedStale) {
    }

    private final BackupStore store;
    private final String key;
    private final Duration staleAfter;
    private final Clock clock;

    public RestoreLock(BackupStore store, Config config, Clock clock) {
        this.store = store;
        this.key = key(config);
        this.staleAfter = config.staleAfter();
        this.clock = clock;
    }

    public static String key(Config config) {
        return "locks/" + config.appName() + "-" + config.environment() + "-restore.lock";
    }

    /** Where a worker records that it runs a job, so a duplicate delivery of the same event does nothing. */
    public static String claimKey(Config config, String jobId) {
        return "locks/" + config.appName() + "-" + config.environment() + "-restore-" + jobId + ".claim";
    }

    public String key() {
        return key;
    }

    public Outcome acquire(String jobId, String subject, String filename) {
        Holder mine = new Holder(jobId, subject, filename, clock.instant());
        String json = Json.write(mine);
        Holder seen = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (store.createIfAbsent(key, json)) {
                return new Outcome(true, mine, null);
            }
            Optional<BackupStore.VersionedJson> current = store.getVersionedJson(key);
            if (current.isEmpty()) {
                continue; // released between our write and our read: try again
            }
            seen = parse(current.get().json());
            if (current.get().lastModified().plus(staleAfter).isBefore(clock.instant())) {
                if (store.replaceIfMatch(key, json, current.get().eTag())) {
                    return new Outcome(true, mine, seen);
                }
                continue; // someone else replaced or released it first
            }
            return new Outcome(false, seen, null);
        }
        return new Outcome(false, seen != null ? seen : new Holder("unknown", null, null, null), null);
    }

    /** Who holds the lock now, if anyone. */
    public Optional<Holder> holder() {
        return store.getVersionedJson(key).map(v -> parse(v.json()));
    }

    /** Releases the lock if {@code jobId} holds it; a lock another job holds is never touched. */
    public boolean release(String jobId) {
        Optional<BackupStore.VersionedJson> current = store.getVersionedJson(key);
        if (current.isEmpty() || !jobId.equals(parse(current.get().json()).jobId())) {
            return false;
        }
        return store.deleteIfMatch(key, current.get().eTag());
    }

    private static Holder parse(String json) {
        try {
            Holder h = Json.MAPPER.readValue(json, Holder.class);
            return h.jobId() == null ? new Holder("unknown", null, null, null) : h;
        } catch (IOException e) {
            return new Holder("unknown", null, null, null);
        }
    }
}
