package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.InMemoryObjectStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The backup a new one's size is compared with (the size-drop alarm): the one before it of the same class, in the
 * same environment; never an on-demand backup for a scheduled one, nor another environment's, nor a newer one.
 */
class PreviousBackupTest {
    static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");
    static final StateKeys STAGING = new StateKeys("pharmatracker", "staging");

    final InMemoryObjectStore store = new InMemoryObjectStore();

    String plant(String environment, BackupClass backupClass, Duration ago, int bytes) {
        Instant when = NOW.minus(ago);
        String name = BackupFiles.name(environment, when);
        store.plant(name, "x".repeat(bytes), when);
        if (backupClass != null) {
            store.plant(STAGING.of(environment).manifest(name, backupClass), "{}", when);
        }
        return name;
    }

    Optional<Long> previousSize(String filename) {
        List<BackupCatalog.Entry> mine = new BackupCatalog(store, STAGING).listMine();
        return BackupCatalog.previousOfClass(mine, filename).map(BackupObject::size);
    }

    @Test
    void theNewestOlderBackupOfTheSameClassAndEnvironment() {
        plant("staging", BackupClass.SCHEDULED, Duration.ofDays(3), 70);
        plant("staging", BackupClass.SCHEDULED, Duration.ofDays(2), 100);
        String onDemand = plant("staging", BackupClass.ON_DEMAND, Duration.ofDays(1), 50);
        plant("staging-eu", BackupClass.SCHEDULED, Duration.ofHours(12), 999); // shares staging's key prefix
        plant("production", BackupClass.SCHEDULED, Duration.ofHours(6), 998);
        String scheduled = plant("staging", BackupClass.SCHEDULED, Duration.ZERO, 80);
        String laterOnDemand = plant("staging", BackupClass.ON_DEMAND, Duration.ofHours(-1), 40);

        assertEquals(Optional.of(100L), previousSize(scheduled), "the scheduled one of two days ago");
        assertEquals(Optional.of(50L), previousSize(laterOnDemand), "the on-demand one of yesterday");
        assertEquals(Optional.empty(), previousSize(onDemand), "the first on-demand backup has none");
        assertEquals(Optional.empty(), previousSize("pharmatracker-staging-on-2026-11-28-at-09-00-00-PM-IST.dump"),
                "a backup not listed has none");
    }

    @Test
    void backupsWithoutAManifestAreScheduledOnesAsRetentionCountsThem() {
        plant("staging", null, Duration.ofDays(1), 120); // written before manifests existed
        String scheduled = plant("staging", BackupClass.SCHEDULED, Duration.ZERO, 60);
        String onDemand = plant("staging", BackupClass.ON_DEMAND, Duration.ofHours(-1), 60);

        assertEquals(Optional.of(120L), previousSize(scheduled));
        assertEquals(Optional.empty(), previousSize(onDemand));
    }
}
