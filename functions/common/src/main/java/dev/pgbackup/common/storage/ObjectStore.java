package dev.pgbackup.common.storage;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The small-object operations the rules need (records, locks, claims, listings), with S3's conditional
 * writes. {@link S3ObjectStore} is the real one; tests of the rules use an in-memory one.
 */
public interface ObjectStore {
    /** An object's listing entry. */
    record Info(String key, Instant lastModified, long size, String eTag) {}

    /** A small object's bytes with the version they were read at, for a later conditional write. */
    record Stored(byte[] bytes, Instant lastModified, String eTag) {}

    /** Objects read into memory (records, locks) are refused past this size: a planted giant cannot exhaust a worker. */
    int MAX_SMALL_OBJECT = 64 * 1024;

    String bucket();

    /** Fails with the known "does not exist or is not accessible" message. */
    void checkBucket();

    Optional<Info> head(String key);

    /**
     * For an SSE-KMS object, reads its first byte as a restore would read it: S3 decrypts it for the caller, so a key
     * whose policy does not grant the caller fails here (a HEAD does not need the key). Other objects: nothing to do.
     */
    default void checkKeyAccess(String key) {}

    /** A small object, or empty; larger than {@link #MAX_SMALL_OBJECT} is an error. */
    default Optional<Stored> get(String key) {
        return get(key, MAX_SMALL_OBJECT);
    }

    /**
     * An object of at most {@code maxBytes}, or empty; a larger one is refused with {@link #tooLarge} (what its
     * writer was allowed to write is bounded the same way, see {@link Records}).
     */
    Optional<Stored> get(String key, int maxBytes);

    /** The refusal of an object larger than its readers accept. */
    static dev.pgbackup.common.failure.Failure tooLarge(String key, int maxBytes) {
        return dev.pgbackup.common.failure.Failure.server("The record " + key + " is larger than " + maxBytes
                + " bytes; refused");
    }

    void put(String key, byte[] bytes);

    /**
     * Writes what belongs with a backup (its manifest) under the environment's own KMS key when it has one, so that
     * the key policy guards it as it guards the archive; otherwise as {@link #put}.
     */
    default void putSealed(String key, byte[] bytes) {
        put(key, bytes);
    }

    /** Creates the object only if no object has that key (If-None-Match); false if one does. */
    boolean createIfAbsent(String key, byte[] bytes);

    /** Replaces the object only if it is still the version {@code eTag} (If-Match); false otherwise. */
    boolean replaceIfMatch(String key, byte[] bytes, String eTag);

    /** Deletes the object only if it is still the version {@code eTag}; false otherwise. */
    boolean deleteIfMatch(String key, String eTag);

    void delete(String key);

    /** Deletes exactly these keys; a key the store reports as not deleted fails the call. */
    void deleteAll(List<String> keys);

    /** Every object under the prefix (all pages); a page that fails fails the listing. */
    List<Info> list(String prefix);
}
