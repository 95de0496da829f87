package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.InMemoryObjectStore;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The catalog's order, newest first, which retention and the listing follow. */
class BackupListingOrderTest {
    static final StateKeys KEYS = new StateKeys("pharmatracker", "tenants");

    @Test
    void withinOneSecondOfLastModifiedTheNamesTimeDecidesNotItsText() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Instant second = Instant.parse("2026-12-06T07:30:02Z"); // S3 lists LastModified to the second
        String beforeOne = BackupFiles.name("production", Instant.parse("2026-12-06T07:29:59Z")); // 12-59-59-PM-IST
        String atOne = BackupFiles.name("production", Instant.parse("2026-12-06T07:30:00Z")); // 01-00-00-PM-IST
        store.plant(beforeOne, "a", second);
        store.plant(atOne, "b", second);
        // a later LastModified still comes first, whatever its name says
        String copiedLater = BackupFiles.name("production", Instant.parse("2026-12-06T06:00:00Z"));
        store.plant(copiedLater, "c", second.plusSeconds(1));

        List<String> order = new BackupCatalog(store, KEYS).listAll().stream().map(BackupObject::filename).toList();

        assertEquals(List.of(copiedLater, atOne, beforeOne), order);
    }
}
