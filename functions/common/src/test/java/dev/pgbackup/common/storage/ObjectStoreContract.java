package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.failure.Failure;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ObjectStore} promises, run against each implementation: the in-memory store that ~300 rule tests
 * rely on must behave as {@link S3ObjectStore} does against a real S3 API, or those tests prove rules about a store
 * that does not exist. Each test works under its own prefix, so one bucket serves a whole run.
 */
abstract class ObjectStoreContract {
    /** The store under test; the same instance for every call of one test. */
    abstract ObjectStore store();

    /** A store of the same kind whose bucket does not exist. */
    abstract ObjectStore storeWithoutBucket();

    private final String prefix = "contract/" + UUID.randomUUID() + "/";

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(ObjectStore.Stored stored) {
        return new String(stored.bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void whatIsPutIsReadBackAndHeadGetAndListAgreeOnItsVersion() {
        ObjectStore store = store();
        String key = prefix + "jobs/one.json";
        store.put(key, bytes("{\"status\":\"RUNNING\"}"));

        ObjectStore.Stored got = store.get(key).orElseThrow();
        ObjectStore.Info head = store.head(key).orElseThrow();
        List<ObjectStore.Info> listed = store.list(prefix);

        assertEquals("{\"status\":\"RUNNING\"}", text(got));
        assertEquals(key, head.key());
        assertEquals(20, head.size());
        assertEquals(head.eTag(), got.eTag());
        assertEquals(1, listed.size());
        assertEquals(key, listed.get(0).key());
        assertEquals(20, listed.get(0).size());
        assertEquals(head.eTag(), listed.get(0).eTag());
    }

    @Test
    void aMissingKeyIsEmptyNotAnError() {
        ObjectStore store = store();
        assertTrue(store.head(prefix + "missing").isEmpty());
        assertTrue(store.get(prefix + "missing").isEmpty());
        assertTrue(store.list(prefix).isEmpty());
    }

    @Test
    void anEmptyObjectAndAKeyWithSpacesAndUnicodeRoundTrip() {
        ObjectStore store = store();
        String key = prefix + "a b+c/ä-ø €.json";
        store.put(key, new byte[0]);
        assertArrayEquals(new byte[0], store.get(key).orElseThrow().bytes());
        assertEquals(0, store.head(key).orElseThrow().size());
        assertEquals(List.of(key), store.list(prefix).stream().map(ObjectStore.Info::key).toList());
    }

    @Test
    void anObjectLargerThanItsReaderAcceptsIsRefusedWithTheKnownMessage() {
        ObjectStore store = store();
        String key = prefix + "locks/giant.lock";
        store.put(key, new byte[100]);

        Failure refused = assertThrows(Failure.class, () -> store.get(key, 99));
        assertEquals("The record " + key + " is larger than 99 bytes; refused", refused.getMessage());
        assertEquals(100, store.get(key, 100).orElseThrow().bytes().length);
    }

    @Test
    void putReplacesTheObjectAndItsVersion() {
        ObjectStore store = store();
        String key = prefix + "state/last.json";
        store.put(key, bytes("first"));
        String first = store.head(key).orElseThrow().eTag();
        store.put(key, bytes("second, longer"));

        ObjectStore.Stored now = store.get(key).orElseThrow();
        assertEquals("second, longer", text(now));
        assertNotEquals(first, now.eTag());
    }

    @Test
    void createIfAbsentCreatesOnceAndNeverOverwrites() {
        ObjectStore store = store();
        String key = prefix + "claims/job-1";
        assertTrue(store.createIfAbsent(key, bytes("mine")));
        assertFalse(store.createIfAbsent(key, bytes("theirs")));
        assertEquals("mine", text(store.get(key).orElseThrow()));
    }

    @Test
    void replaceIfMatchWritesOnlyOverTheVersionThatWasRead() {
        ObjectStore store = store();
        String key = prefix + "locks/restore.lock";
        store.put(key, bytes("v1"));
        String read = store.get(key).orElseThrow().eTag();
        store.put(key, bytes("v2 by another writer"));

        assertFalse(store.replaceIfMatch(key, bytes("v3 over a stale read"), read));
        assertEquals("v2 by another writer", text(store.get(key).orElseThrow()));

        String current = store.get(key).orElseThrow().eTag();
        assertTrue(store.replaceIfMatch(key, bytes("v3"), current));
        assertEquals("v3", text(store.get(key).orElseThrow()));
        assertFalse(store.replaceIfMatch(prefix + "locks/never-written", bytes("x"), current));
        assertTrue(store.head(prefix + "locks/never-written").isEmpty());
    }

    @Test
    void deleteIfMatchDeletesOnlyTheVersionThatWasRead() {
        ObjectStore store = store();
        String key = prefix + "locks/backup.lock";
        store.put(key, bytes("held"));
        String read = store.get(key).orElseThrow().eTag();
        store.put(key, bytes("taken over"));

        assertFalse(store.deleteIfMatch(key, read));
        assertEquals("taken over", text(store.get(key).orElseThrow()));

        assertTrue(store.deleteIfMatch(key, store.get(key).orElseThrow().eTag()));
        assertTrue(store.head(key).isEmpty());
        assertFalse(store.deleteIfMatch(key, read));
    }

    @Test
    void deleteIsIdempotentAndDeleteAllDeletesExactlyTheGivenKeys() {
        ObjectStore store = store();
        for (String name : List.of("x", "y", "z")) {
            store.put(prefix + name, bytes(name));
        }
        store.delete(prefix + "never-written");
        store.deleteAll(List.of(prefix + "x", prefix + "z"));

        assertEquals(List.of(prefix + "y"), store.list(prefix).stream().map(ObjectStore.Info::key).toList());
        store.delete(prefix + "y");
        store.delete(prefix + "y");
        assertTrue(store.list(prefix).isEmpty());
    }

    @Test
    void listMatchesThePrefixAsTextSortedByKey() {
        ObjectStore store = store();
        // an environment whose name extends another's must not be listed with it (staging vs staging-eu)
        for (String key : List.of("env-b/2", "env/1", "env-b/1", "env/0", "env")) {
            store.put(prefix + key, bytes(key));
        }
        assertEquals(List.of(prefix + "env/0", prefix + "env/1"),
                store.list(prefix + "env/").stream().map(ObjectStore.Info::key).toList());
        assertEquals(5, store.list(prefix + "env").size());
    }

    @Test
    void listReturnsEveryPageOfALongListing() {
        ObjectStore store = store();
        // S3 answers at most 1,000 keys a page: a retention run that saw one page would keep what it should delete
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 1_001; i++) {
            keys.add(String.format("%spage/%04d", prefix, i));
        }
        keys.forEach(k -> store.put(k, new byte[] {1}));

        List<String> listed = store.list(prefix + "page/").stream().map(ObjectStore.Info::key).toList();
        assertEquals(keys, listed);
        store.deleteAll(keys);
        assertTrue(store.list(prefix + "page/").isEmpty());
    }

    @Test
    void aBucketThatDoesNotExistFailsTheCheckWithTheKnownMessage() {
        store().checkBucket();
        ObjectStore missing = storeWithoutBucket();
        Failure failed = assertThrows(Failure.class, missing::checkBucket);
        assertEquals(S3ObjectStore.bucketUnavailable(missing.bucket()), failed.getMessage());
    }
}
