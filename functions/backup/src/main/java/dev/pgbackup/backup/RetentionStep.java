package dev.pgbackup.backup;

import dev.pgbackup.common.retention.RetentionPolicy;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupObject;
import java.time.Clock;
import java.util.List;

/**
 * The last step of a backup: retention, from one listing that contains the backup just made. The same listing (taken
 * before anything is deleted) names the previous backup of its class, for the size-drop metric, at no extra call. A
 * failure here never fails the backup: it is already restorable, so it becomes a note.
 */
final class RetentionStep {
    /** What the step did: the backups it deleted, and the size of the one before this of its class. */
    record Retained(List<String> deleted, Long previousBytes) {}

    private final BackupCatalog catalog;
    private final RetentionPolicy policy;
    private final Clock clock;

    RetentionStep(BackupCatalog catalog, RetentionPolicy policy, Clock clock) {
        this.catalog = catalog;
        this.policy = policy;
        this.clock = clock;
    }

    Retained run(String justMade, List<String> notes) {
        List<BackupCatalog.Entry> mine;
        try {
            mine = catalog.listMine();
        } catch (RuntimeException e) {
            notes.add("retention skipped, nothing deleted (" + e.getClass().getSimpleName() + ")");
            return new Retained(List.of(), null);
        }
        Long previous = BackupCatalog.previousOfClass(mine, justMade).map(BackupObject::size).orElse(null);
        try {
            List<RetentionPolicy.Deletion> doomed = policy.choose(mine, justMade, clock.instant());
            catalog.delete(doomed.stream().map(RetentionPolicy.Deletion::entry).toList());
            return new Retained(doomed.stream().map(d -> d.filename() + " (" + d.reason() + ")").toList(), previous);
        } catch (RuntimeException e) {
            notes.add("retention skipped, nothing deleted (" + e.getClass().getSimpleName() + ")");
            return new Retained(List.of(), previous);
        }
    }
}
