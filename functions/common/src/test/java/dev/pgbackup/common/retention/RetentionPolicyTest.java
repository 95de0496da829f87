package dev.pgbackup.common.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.BackupObject;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {
    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    static final RetentionPolicy POLICY = new RetentionPolicy(new Config.RetentionSettings(30, 10, Duration.ofDays(7)),
            java.time.ZoneOffset.UTC);

    static BackupCatalog.Entry entry(int i, BackupClass c, Instant when) {
        String name = "app-production-on-x-" + c.key + "-" + i + ".dump";
        return new BackupCatalog.Entry(new BackupObject(new BackupName(name, "app", "production",
                LocalDateTime.ofInstant(when, java.time.ZoneOffset.UTC)), when, 100, "\"e\""), c,
                c == BackupClass.ON_DEMAND);
    }

    static List<BackupCatalog.Entry> newestFirst(List<BackupCatalog.Entry> all) {
        List<BackupCatalog.Entry> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparing((BackupCatalog.Entry e) -> e.backup().lastModified()).reversed());
        return sorted;
    }

    @Test
    void fortyOnDemandBackupsLeaveEveryScheduledBackupInPlace() {
        List<BackupCatalog.Entry> all = new ArrayList<>();
        for (int day = 0; day < 30; day++) {
            all.add(entry(day, BackupClass.SCHEDULED, NOW.minus(Duration.ofDays(day + 1))));
        }
        for (int i = 0; i < 40; i++) {
            all.add(entry(i, BackupClass.ON_DEMAND, NOW.minusSeconds(40 - i)));
        }
        List<BackupCatalog.Entry> mine = newestFirst(all);
        String justMade = mine.get(0).backup().filename();

        List<RetentionPolicy.Deletion> doomed = POLICY.choose(mine, justMade, NOW);

        assertEquals(30, doomed.size(), "the 30 oldest on-demand backups beyond the newest 10");
        assertTrue(doomed.stream().allMatch(d -> d.entry().backupClass() == BackupClass.ON_DEMAND));
        assertTrue(doomed.stream().allMatch(d -> d.reason().equals("on-demand: older than the newest 10")));
        assertTrue(doomed.stream().noneMatch(d -> d.filename().equals(justMade)));
    }

    @Test
    void scheduledBackupsKeepTheNewestNAndOnDemandOnesExpireByAge() {
        List<BackupCatalog.Entry> all = new ArrayList<>();
        for (int day = 0; day < 32; day++) {
            all.add(entry(day, BackupClass.SCHEDULED, NOW.minus(Duration.ofDays(day))));
        }
        all.add(entry(1, BackupClass.ON_DEMAND, NOW.minus(Duration.ofDays(3))));
        all.add(entry(2, BackupClass.ON_DEMAND, NOW.minus(Duration.ofDays(8))));
        List<BackupCatalog.Entry> mine = newestFirst(all);

        List<RetentionPolicy.Deletion> doomed = POLICY.choose(mine, mine.get(0).backup().filename(), NOW);

        assertEquals(List.of("app-production-on-x-on-demand-2.dump", "app-production-on-x-scheduled-30.dump",
                "app-production-on-x-scheduled-31.dump"),
                doomed.stream().map(RetentionPolicy.Deletion::filename).sorted().toList());
        assertEquals("on-demand: older than 7 days", doomed.stream()
                .filter(d -> d.filename().contains("on-demand")).findFirst().orElseThrow().reason());
    }

    /**
     * An on-demand backup's age is its name's: S3's LastModified is set by S3's clock (and reset by a copy), so a
     * rule that compared it with the stack's clock would keep or delete by whichever clock is off.
     */
    @Test
    void anOnDemandBackupsAgeIsItsNamesNotItsLastModified() {
        BackupCatalog.Entry copiedYesterday = new BackupCatalog.Entry(new BackupObject(new BackupName("app-production-"
                + "on-old.dump", "app", "production",
                LocalDateTime.ofInstant(NOW.minus(Duration.ofDays(8)),
                        java.time.ZoneOffset.UTC)),
                NOW.minus(Duration.ofDays(1)), 100, "\"e\""), BackupClass.ON_DEMAND, true);
        BackupCatalog.Entry fresh = entry(1, BackupClass.ON_DEMAND, NOW.minus(Duration.ofHours(1)));
        BackupCatalog.Entry skewed = new BackupCatalog.Entry(new BackupObject(
                new BackupName("app-production-on-new.dump",
                        "app", "production",
                        LocalDateTime.ofInstant(NOW.minus(Duration.ofDays(2)), java.time.ZoneOffset.UTC)),
                NOW.minus(Duration.ofDays(400)), 100, "\"e\""), BackupClass.ON_DEMAND, true);

        List<RetentionPolicy.Deletion> doomed = POLICY.choose(List.of(fresh, copiedYesterday, skewed),
                fresh.backup().filename(), NOW);

        assertEquals(List.of("app-production-on-old.dump"), doomed.stream().map(RetentionPolicy.Deletion::filename)
                .toList());
    }

    @Test
    void aListingWithoutTheNewBackupDeletesNothing() {
        List<BackupCatalog.Entry> mine = new ArrayList<>();
        for (int day = 0; day < 40; day++) {
            mine.add(entry(day, BackupClass.SCHEDULED, NOW.minus(Duration.ofDays(day))));
        }
        assertEquals(List.of(), POLICY.choose(mine, "app-production-on-lagging.dump", NOW));
        assertEquals(10, POLICY.choose(mine, null, NOW).size(), "a dry run has no new backup to wait for");
    }
}
