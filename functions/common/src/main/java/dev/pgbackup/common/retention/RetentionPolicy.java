package dev.pgbackup.common.retention;

import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupClass;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which of this environment's backups the next retention run deletes, and why. Scheduled and on-demand
 * backups are counted apart: on-demand backups (API requests, safety backups) never push a scheduled one
 * out, however many there are. Nothing is chosen from a listing that does not contain the backup just made
 * (a listing that lags behind is not a basis for deleting anything).
 */
public final class RetentionPolicy {
    /** A backup to delete and the rule that chose it. */
    public record Deletion(BackupCatalog.Entry entry, String reason) {
        public String filename() {
            return entry.backup().filename();
        }
    }

    private final Config.RetentionSettings settings;

    public RetentionPolicy(Config.RetentionSettings settings) {
        this.settings = settings;
    }

    /**
     * @param mine      this environment's backups, newest first
     * @param justMade  the backup that triggered this run (never deleted), or null for a dry run
     */
    public List<Deletion> choose(List<BackupCatalog.Entry> mine, String justMade, Instant now) {
        if (justMade != null && mine.stream().noneMatch(e -> e.backup().filename().equals(justMade))) {
            return List.of();
        }
        List<Deletion> doomed = new ArrayList<>();
        int scheduled = 0;
        int onDemand = 0;
        for (BackupCatalog.Entry e : mine) {
            boolean keepAnyway = e.backup().filename().equals(justMade);
            if (e.backupClass() == BackupClass.SCHEDULED) {
                scheduled++;
                if (scheduled > settings.scheduledKeep() && !keepAnyway) {
                    doomed.add(new Deletion(e, "scheduled: older than the newest " + settings.scheduledKeep()));
                }
            } else {
                onDemand++;
                if (keepAnyway) {
                    continue;
                }
                if (onDemand > settings.onDemandKeep()) {
                    doomed.add(new Deletion(e, "on-demand: older than the newest " + settings.onDemandKeep()));
                } else if (e.backup().lastModified().plus(settings.onDemandMaxAge()).isBefore(now)) {
                    doomed.add(new Deletion(e, "on-demand: older than " + settings.onDemandMaxAge().toDays() + " days"));
                }
            }
        }
        return doomed;
    }
}
