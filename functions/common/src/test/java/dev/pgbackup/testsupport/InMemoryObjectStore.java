package dev.pgbackup.testsupport;

import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.S3ObjectStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bucket in memory, with S3's conditional-write semantics (atomic, unlike moto's), for the rule tests:
 * locks, claims, job records, retention and the restore checks run in milliseconds against it.
 */
public final class InMemoryObjectStore implements ObjectStore {
    private record Entry(byte[] bytes, Instant lastModified, String eTag) {}

    private final String bucket;
    private final Clock clock;
    private final Map<String, Entry> objects = new TreeMap<>();
    private final List<String> writes = new ArrayList<>();
    private final AtomicLong versions = new AtomicLong();
    private boolean bucketExists = true;
    private String failingPrefix;
    private final Map<String, Runnable> afterRead = new java.util.HashMap<>();

    public InMemoryObjectStore(String bucket, Clock clock) {
        this.bucket = bucket;
        this.clock = clock;
    }

    public InMemoryObjectStore() {
        this("test-bucket", Clock.systemUTC());
    }

    public synchronized InMemoryObjectStore withoutBucket() {
        bucketExists = false;
        return this;
    }

    /** Every write of a key under {@code prefix} fails from now on, as a PUT that S3 refused would. */
    public synchronized InMemoryObjectStore failingWritesUnder(String prefix) {
        failingPrefix = prefix;
        return this;
    }

    /**
     * Runs {@code then} once, right after the next read of {@code key} has its answer: another writer acting
     * between someone's read and their write, without any timing.
     */
    public synchronized void onNextRead(String key, Runnable then) {
        afterRead.put(key, then);
    }

    /** Puts an object as another writer would (a backup, a planted record), with its last-modified time. */
    public synchronized void plant(String key, String content, Instant lastModified) {
        objects.put(key, new Entry(content.getBytes(StandardCharsets.UTF_8), lastModified, nextETag()));
    }

    /** Every key written, replaced or deleted through this store, in order (prefixed PUT/DELETE). */
    public synchronized List<String> writes() {
        return List.copyOf(writes);
    }

    public synchronized List<String> keys() {
        return List.copyOf(objects.keySet());
    }

    public synchronized Optional<String> text(String key) {
        return Optional.ofNullable(objects.get(key)).map(e -> new String(e.bytes(), StandardCharsets.UTF_8));
    }

    private String nextETag() {
        return "\"v" + versions.incrementAndGet() + "\"";
    }

    @Override
    public String bucket() {
        return bucket;
    }

    @Override
    public synchronized void checkBucket() {
        if (!bucketExists) {
            throw Failure.server(S3ObjectStore.bucketUnavailable(bucket));
        }
    }

    @Override
    public synchronized Optional<Info> head(String key) {
        return Optional.ofNullable(objects.get(key))
                .map(e -> new Info(key, e.lastModified(), e.bytes().length, e.eTag()));
    }

    @Override
    public synchronized Optional<Stored> get(String key, int maxBytes) {
        Entry e = objects.get(key);
        if (e != null && e.bytes().length > maxBytes) {
            throw ObjectStore.tooLarge(key, maxBytes);
        }
        Optional<Stored> answer = Optional.ofNullable(e)
                .map(x -> new Stored(x.bytes().clone(), x.lastModified(), x.eTag()));
        Runnable then = afterRead.remove(key);
        if (then != null) {
            then.run();
        }
        return answer;
    }

    @Override
    public synchronized void put(String key, byte[] bytes) {
        if (failingPrefix != null && key.startsWith(failingPrefix)) {
            throw new IllegalStateException("PUT " + key + " failed (injected)");
        }
        writes.add("PUT " + key);
        objects.put(key, new Entry(bytes.clone(), clock.instant(), nextETag()));
    }

    @Override
    public synchronized boolean createIfAbsent(String key, byte[] bytes) {
        if (objects.containsKey(key)) {
            return false;
        }
        put(key, bytes);
        return true;
    }

    @Override
    public synchronized boolean replaceIfMatch(String key, byte[] bytes, String eTag) {
        Entry e = objects.get(key);
        if (e == null || !e.eTag().equals(eTag)) {
            return false;
        }
        put(key, bytes);
        return true;
    }

    @Override
    public synchronized boolean deleteIfMatch(String key, String eTag) {
        Entry e = objects.get(key);
        if (e == null || !e.eTag().equals(eTag)) {
            return false;
        }
        delete(key);
        return true;
    }

    @Override
    public synchronized void delete(String key) {
        writes.add("DELETE " + key);
        objects.remove(key);
    }

    @Override
    public synchronized void deleteAll(List<String> keys) {
        keys.forEach(this::delete);
    }

    @Override
    public synchronized List<Info> list(String prefix) {
        List<Info> found = new ArrayList<>();
        objects.forEach((k, e) -> {
            if (k.startsWith(prefix)) {
                found.add(new Info(k, e.lastModified(), e.bytes().length, e.eTag()));
            }
        });
        found.sort(Comparator.comparing(Info::key));
        return found;
    }
}
