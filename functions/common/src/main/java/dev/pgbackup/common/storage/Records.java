package dev.pgbackup.common.storage;

import dev.pgbackup.common.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * JSON records in an {@link ObjectStore}, typed; a record that does not parse is an error, not absent. Reads and
 * writes share one bound ({@link ObjectStore#MAX_SMALL_OBJECT} unless said otherwise): a record its readers would
 * refuse is never written, so what was written can always be read.
 */
public final class Records {
    /** A record with the version it was read at. */
    public record Versioned<T>(T value, ObjectStore.Stored stored) {}

    private final ObjectStore store;
    private final int maxBytes;

    public Records(ObjectStore store) {
        this(store, ObjectStore.MAX_SMALL_OBJECT);
    }

    /** Records of at most {@code maxBytes} (a manifest may be larger than a lock). */
    public Records(ObjectStore store, int maxBytes) {
        this.store = store;
        this.maxBytes = maxBytes;
    }

    public ObjectStore store() {
        return store;
    }

    public <T> Optional<T> read(String key, Class<T> type) {
        return readVersioned(key, type).map(Versioned::value);
    }

    public <T> Optional<Versioned<T>> readVersioned(String key, Class<T> type) {
        return store.get(key, maxBytes).map(stored -> new Versioned<>(parse(key, stored.bytes(), type), stored));
    }

    public void write(String key, Object value) {
        store.put(key, bytes(key, value));
    }

    /** As {@link #write}, under the environment's KMS key ({@link ObjectStore#putSealed}). */
    void writeSealed(String key, Object value) {
        store.putSealed(key, bytes(key, value));
    }

    public boolean create(String key, Object value) {
        return store.createIfAbsent(key, bytes(key, value));
    }

    public boolean replace(String key, Object value, String eTag) {
        return store.replaceIfMatch(key, bytes(key, value), eTag);
    }

    private byte[] bytes(String key, Object value) {
        byte[] bytes = Json.write(value).getBytes(StandardCharsets.UTF_8);
        if (bytes.length > maxBytes) {
            throw dev.pgbackup.common.failure.Failure.server("The record " + key + " would be " + bytes.length
                    + " bytes, more than the " + maxBytes + " its readers accept; not written");
        }
        return bytes;
    }

    private static <T> T parse(String key, byte[] bytes, Class<T> type) {
        try {
            return Json.MAPPER.readValue(bytes, type);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable record " + key + ": " + e.getClass().getSimpleName());
        }
    }
}
