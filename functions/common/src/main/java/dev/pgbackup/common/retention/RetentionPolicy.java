package dev.pgbackup.common.retention;

import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupClass;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which of this environment's backups the next retention run keeps and deletes, and why. Scheduled and
 * on-demand backups are counted apart: on-demand backups (API requests, safety backups) never push a scheduled
 * one out, however many there are, and the tiers ({@link RetentionTiers}) look at scheduled backups only.
 * Nothing is chosen from a listing that does not contain the backup just made (a listing that lags behind is not
 * a basis for deleting anything), and that backup is never deleted by its own run. Pure: no I/O, no clock.
 */
public final class RetentionPolicy {
    /** A backup to delete and the rule that chose it. */
    public record Deletion(BackupCatalog.Entry entry, String reason) {
        public String filename() {
            return entry.backup().filename();
        }
    }

    /** A backup to keep and every rule that keeps it. */
    public record Kept(BackupCatalog.Entry entry, List<String> reasons) {
        public String filename() {
            return entry.backup().filename();
        }
    }

    /** The whole decision, each list in the listing's order (newest first). */
    public record Plan(List<Kept> kept, List<Deletion> deleted) {}

    static final String JUST_MADE = "the backup this run made";
    static final String LAGGING = "retention skipped: the listing does not show the backup just made yet";

    private final Config.RetentionSettings settings;
    private final ZoneId zone;

    /** @param zone the stack's backup time zone: days, weeks and months are counted there */
    public RetentionPolicy(Config.RetentionSettings settings, ZoneId zone) {
        this.settings = settings;
        this.zone = zone;
    }

    public Config.RetentionSettings settings() {
        return settings;
    }

    /** The backups to delete (see {@link #plan}). */
    public List<Deletion> choose(List<BackupCatalog.Entry> mine, String justMade, Instant now) {
        return plan(mine, justMade, now).deleted();
    }

    /**
     * @param mine      this environment's backups, newest first
     * @param justMade  the backup that triggered this run (never deleted), or null for a dry run
     */
    public Plan plan(List<BackupCatalog.Entry> mine, String justMade, Instant now) {
        Map<BackupCatalog.Entry, List<String>> reasons = new LinkedHashMap<>();
        mine.forEach(e -> reasons.put(e, new ArrayList<>()));
        if (justMade != null && mine.stream().noneMatch(e -> e.backup().filename().equals(justMade))) {
            reasons.values().forEach(r -> r.add(LAGGING));
            return collect(reasons, Map.of());
        }
        reasons.forEach((e, r) -> {
            if (e.backup().filename().equals(justMade)) {
                r.add(JUST_MADE);
            }
        });
        List<BackupCatalog.Entry> scheduled = ofClass(mine, BackupClass.SCHEDULED);
        Map<BackupCatalog.Entry, String> doomed = new LinkedHashMap<>();
        if (settings.tiered()) {
            new RetentionTiers(settings, zone).decide(scheduled, now, reasons, doomed);
        } else {
            newest(scheduled, settings.scheduledKeep(), "scheduled: one of the newest " + settings.scheduledKeep(),
                    "scheduled: older than the newest " + settings.scheduledKeep(), reasons, doomed);
        }
        onDemand(ofClass(mine, BackupClass.ON_DEMAND), now, reasons, doomed);
        return collect(reasons, doomed);
    }

    private static List<BackupCatalog.Entry> ofClass(List<BackupCatalog.Entry> mine, BackupClass c) {
        return mine.stream().filter(e -> e.backupClass() == c).toList();
    }

    /** Keeps the first {@code n} of {@code entries} (newest first); the rest are doomed unless something keeps them. */
    private static void newest(List<BackupCatalog.Entry> entries, int n, String keep, String delete,
            Map<BackupCatalog.Entry, List<String>> reasons, Map<BackupCatalog.Entry, String> doomed) {
        for (int i = 0; i < entries.size(); i++) {
            if (i < n) {
                reasons.get(entries.get(i)).add(keep);
            } else {
                doomed.putIfAbsent(entries.get(i), delete);
            }
        }
    }

    private void onDemand(List<BackupCatalog.Entry> entries, Instant now,
            Map<BackupCatalog.Entry, List<String>> reasons,
            Map<BackupCatalog.Entry, String> doomed) {
        long days = settings.onDemandMaxAge().toDays();
        for (int i = 0; i < entries.size(); i++) {
            BackupCatalog.Entry e = entries.get(i);
            if (i >= settings.onDemandKeep()) {
                doomed.put(e, "on-demand: older than the newest " + settings.onDemandKeep());
            } else if (taken(e).plus(settings.onDemandMaxAge()).isBefore(now)) {
                doomed.put(e, "on-demand: older than " + days + " days");
            } else {
                reasons.get(e).add("on-demand: one of the newest " + settings.onDemandKeep() + ", younger than "
                        + days + " days");
            }
        }
    }

    /**
     * When a backup was taken: its name's time in the stack's zone, as the tiers read it; not the object's
     * LastModified, which a copy of the object resets and which S3's clock, not the stack's, sets.
     */
    private Instant taken(BackupCatalog.Entry e) {
        return e.backup().name().localTime().atZone(zone).toInstant();
    }

    /** A backup that any rule keeps stays (the one just made always does); the rest go, with their reason. */
    private static Plan collect(Map<BackupCatalog.Entry, List<String>> reasons,
            Map<BackupCatalog.Entry, String> doomed) {
        List<Kept> kept = new ArrayList<>();
        List<Deletion> deleted = new ArrayList<>();
        reasons.forEach((e, r) -> {
            if (r.isEmpty() && doomed.containsKey(e)) {
                deleted.add(new Deletion(e, doomed.get(e)));
            } else {
                kept.add(new Kept(e, List.copyOf(r)));
            }
        });
        return new Plan(List.copyOf(kept), List.copyOf(deleted));
    }
}
