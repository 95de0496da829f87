package dev.pgbackup.common.storage;

import dev.pgbackup.common.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Small JSON records in an {@link ObjectStore}, typed; a record that does not parse is an error, not absent. */
public final class Records {
    /** A record with the version it was read at. */
    public record Versioned<T>(T value, ObjectStore.Stored stored) {
    }

    private final ObjectStore store;

    public Records(ObjectStore store) {
        this.store = store;
    }

    public ObjectStore store() {
        return store;
    }

    public <T> Optional<T> read(String key, Class<T> type) {
        return readVersioned(key, type).map(Versioned::value);
    }

    public <T> Optional<Versioned<T>> readVersioned(String key, Class<T> type) {
        return store.get(key).map(stored -> new Versioned<>(parse(key, stored.bytes(), type), stored));
    }

    public void write(String key, Object value) {
        store.put(key, bytes(value));
    }

    /** As {@link #write}, under the environment's KMS key ({@link ObjectStore#putSealed}). */
    public void writeSealed(String key, Object value) {
        store.putSealed(key, bytes(value));
    }

    public boolean create(String key, Object value) {
        return store.createIfAbsent(key, bytes(value));
    }

    public boolean replace(String key, Object value, String eTag) {
        return store.replaceIfMatch(key, bytes(value), eTag);
    }

    private static byte[] bytes(Object value) {
        return Json.write(value).getBytes(StandardCharsets.UTF_8);
    }

    private static <T> T parse(String key, byte[] bytes, Class<T> type) {
        try {
            return Json.MAPPER.readValue(bytes, type);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable record " + key + ": " + e.getClass().getSimpleName());
        }
    }
}
