package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.testsupport.InMemoryObjectStore;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * What a restore and a drill read about a backup (manifest, row counts) scales with the schema and reads back as it
 * was written: a multi-tenant database of thousands of tables with 63-byte names is a backup like any other.
 */
class BackupRecordsTest {
    static final String FILE = "pharmatracker-tenants-on-2026-11-28-at-02-00-00-AM-IST.dump";
    static final StateKeys KEYS = new StateKeys("pharmatracker", "tenants");

    /** {@code tables} tables of 63-byte names in schemas of 63-byte names: the longest keys a schema can have. */
    static Map<String, Long> counts(int tables) {
        Map<String, Long> counts = new TreeMap<>();
        for (int i = 0; i < tables; i++) {
            String schema = String.format("tenant_%04d_operations_", i / 50) + "s".repeat(63 - 23);
            String table = String.format("prescription_line_items_%05d_archive_", i) + "t".repeat(63 - 38);
            counts.put(schema + "." + table, (long) i);
        }
        return counts;
    }

    static Manifest manifest(long bytes) {
        return new Manifest(FILE, "tenants", BackupClass.ON_DEMAND, "job-1", Instant.parse("2026-11-27T20:30:00Z"),
                Instant.parse("2026-11-27T20:31:00Z"), bytes, "ab".repeat(32), "16.4", "15.8", "zstd:3", null);
    }

    static InMemoryObjectStore bucketWithArchive(long bytes) {
        InMemoryObjectStore store = new InMemoryObjectStore();
        store.plant(FILE, "x".repeat((int) bytes), Instant.parse("2026-11-27T20:30:00Z"));
        return store;
    }

    @Test
    void twentyThousandTablesOfTheLongestNamesReadBackAsWritten() {
        InMemoryObjectStore store = bucketWithArchive(10);
        BackupCatalog catalog = new BackupCatalog(store, KEYS);
        Map<String, Long> counts = counts(20_000);

        Manifest written = catalog.writeRecords(manifest(10), counts, () -> null);
        catalog.verifyReadable(written);

        assertEquals(20_000, written.countedTables());
        BackupObject backup = catalog.find(FILE).orElseThrow();
        Manifest read = catalog.manifest(backup).orElseThrow();
        assertEquals(written, read);
        assertEquals(counts, catalog.rowCounts(backup, read).orElseThrow());
        assertTrue(store.text(KEYS.manifest(FILE, BackupClass.ON_DEMAND)).orElseThrow().length() < 1024,
                "the manifest stays small whatever the table count");
    }

    @Test
    void aBackupWithoutCountsHasNone() {
        BackupCatalog catalog = new BackupCatalog(bucketWithArchive(10), KEYS);
        Manifest written = catalog.writeRecords(manifest(10), null, () -> null);
        catalog.verifyReadable(written);
        assertFalse(written.hasRowCounts());
        assertEquals(java.util.Optional.empty(), catalog.rowCounts(catalog.find(FILE).orElseThrow(), written));
    }

    /** Backups written before 2026-12 kept up to 2,000 counts in the manifest, over 64 KiB: still restorable. */
    @Test
    void aManifestOfTheFormerShapeWithTwoThousandInlineCountsStillReads() {
        InMemoryObjectStore store = bucketWithArchive(10);
        BackupCatalog catalog = new BackupCatalog(store, KEYS);
        Manifest legacy = manifest(10).withRowCounts(counts(2000));
        catalog.writeManifest(legacy);
        assertTrue(store.text(KEYS.manifest(FILE, BackupClass.ON_DEMAND)).orElseThrow()
                .length() > ObjectStore.MAX_SMALL_OBJECT);

        BackupObject backup = catalog.find(FILE).orElseThrow();
        Manifest read = catalog.manifest(backup).orElseThrow();
        assertEquals(counts(2000), catalog.rowCounts(backup, read).orElseThrow());
        catalog.verifyReadable(legacy);
    }

    @Test
    void missingOrDamagedCountsAreAFailureNotAnAbsence() {
        InMemoryObjectStore store = bucketWithArchive(10);
        BackupCatalog catalog = new BackupCatalog(store, KEYS);
        Manifest written = catalog.writeRecords(manifest(10), counts(3), () -> null);
        BackupObject backup = catalog.find(FILE).orElseThrow();

        store.plant(KEYS.rowCounts(FILE), "not gzip", Instant.EPOCH);
        Failure damaged = assertThrows(Failure.class, () -> catalog.verifyReadable(written));
        assertTrue(damaged.getMessage().contains("do not match the checksum"), damaged.getMessage());

        store.delete(KEYS.rowCounts(FILE));
        Failure missing = assertThrows(Failure.class, () -> catalog.rowCounts(backup, written));
        assertTrue(missing.getMessage().endsWith("are missing"), missing.getMessage());
    }

    @Test
    void anArchiveOfAnotherSizeOrAManifestThatReadsDifferentlyIsNotABackup() {
        BackupCatalog catalog = new BackupCatalog(bucketWithArchive(10), KEYS);
        Manifest written = catalog.writeRecords(manifest(10), null, () -> null);

        Failure size = assertThrows(Failure.class, () -> catalog.verifyReadable(manifest(11)));
        assertEquals("the archive has 10 bytes, not the 11 uploaded", size.getMessage());
        Failure differs = assertThrows(Failure.class, () -> catalog.verifyReadable(written.withRowCountsObject(1,
                "00")));
        assertTrue(differs.getMessage().contains("reads back differently"), differs.getMessage());
    }

    @Test
    void aDiscardedBackupLeavesNothing() {
        InMemoryObjectStore store = bucketWithArchive(10);
        BackupCatalog catalog = new BackupCatalog(store, KEYS);
        catalog.writeRecords(manifest(10), counts(3), () -> null);

        catalog.discard(FILE, BackupClass.ON_DEMAND);

        assertEquals(List.of(), store.keys());
    }

    @Test
    void aRecordItsReadersWouldRefuseIsNeverWritten() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Records records = new Records(store, 100);
        Failure refused = assertThrows(Failure.class, () -> records.write("pgbackup/state/x.json", Map.of("k",
                "v".repeat(200))));
        assertTrue(refused.getMessage().startsWith("The record pgbackup/state/x.json would be "), refused.getMessage());
        assertEquals(List.of(), store.keys());
        records.write("pgbackup/state/y.json", Map.of("k", "v"));
        assertEquals(Map.of("k", "v"), records.read("pgbackup/state/y.json", Map.class).orElseThrow());
    }

    @Test
    void countsRoundTripAndRefuseWhatTheirManifestDoesNotSay() {
        RowCounts.Encoded encoded = RowCounts.encode(counts(5));
        assertEquals(counts(5), RowCounts.decode("k", encoded.bytes(), 5, encoded.sha256()));
        Failure fewer = assertThrows(Failure.class, () -> RowCounts.decode("k", encoded.bytes(), 6, encoded.sha256()));
        assertEquals("The row counts k hold 5 tables, not the 6 their manifest recorded", fewer.getMessage());
        Failure over = assertThrows(Failure.class, () -> RowCounts.encode(counts(RowCounts.MAX_TABLES + 1)));
        assertTrue(over.getMessage().contains("more than the 100000 a backup records"), over.getMessage());
    }

    /**
     * The roles object and the row counts are written at once, then the manifest, and read back the same way: each
     * side waits at its S3 call until the other has reached its own, so done one after the other, the first waits
     * in vain (10 s) and the test fails.
     */
    @Test
    void rolesAndRowCountsAreWrittenAndReadBackAtOnce() throws Exception {
        InMemoryObjectStore real = bucketWithArchive(10);
        Meeting writes = new Meeting();
        Meeting reads = new Meeting();
        String countsKey = KEYS.rowCounts(FILE);
        String rolesKey = KEYS.globals(FILE);
        ObjectStore store = (ObjectStore) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ObjectStore.class}, (proxy, method, args) -> {
                    if (method.getName().startsWith("put") && countsKey.equals(args[0])) {
                        writes.first();
                    } else if (method.getName().equals("get") && countsKey.equals(args[0])) {
                        reads.first();
                    } else if (method.getName().equals("get") && rolesKey.equals(args[0])) {
                        reads.second();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        BackupCatalog catalog = new BackupCatalog(store, KEYS);
        byte[] roles = "CREATE ROLE app_owner;".getBytes(java.nio.charset.StandardCharsets.UTF_8);

        Manifest written = catalog.writeRecords(manifest(10), counts(3), () -> {
            writes.second();
            real.put(rolesKey, roles);
            return new RoleGlobals(roles.length, dev.pgbackup.common.Hashes.hex(dev.pgbackup.common.Hashes.sha256(
                    roles)), List.of("app_owner"), List.of());
        });
        catalog.verifyReadable(written);

        assertTrue(writes.met(), "the roles object and the row counts were written one after the other");
        assertTrue(reads.met(), "the roles object and the row counts were read back one after the other");
        assertEquals(roles.length, written.globals().bytes());
        assertEquals(3, written.countedTables());
        assertEquals(written, catalog.manifest(catalog.find(FILE).orElseThrow()).orElseThrow());
    }

    /** Two threads that each arrive and wait (up to 10 s) for the other. */
    static final class Meeting {
        private final java.util.concurrent.CountDownLatch one = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.CountDownLatch two = new java.util.concurrent.CountDownLatch(1);
        private volatile boolean missed;

        void first() throws InterruptedException {
            one.countDown();
            missed |= !two.await(10, java.util.concurrent.TimeUnit.SECONDS);
        }

        void second() {
            two.countDown();
            try {
                missed |= !one.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                missed = true;
            }
        }

        boolean met() {
            return one.getCount() == 0 && two.getCount() == 0 && !missed;
        }
    }
}
