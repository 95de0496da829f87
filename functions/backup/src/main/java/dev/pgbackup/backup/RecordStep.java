package dev.pgbackup.backup;

import static dev.pgbackup.common.failure.Verdict.BACKUP_FAILED;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.storage.RoleGlobals;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.common.time.Deadline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The step that makes a whole archive a backup: its roles and row counts in objects of their own, then the manifest
 * naming them, all read back through the code a restore and a drill use. A backup whose records cannot be written or
 * read back is no backup: its archive and records are removed and the job fails, saying why.
 */
final class RecordStep {
    private final BackupCatalog catalog;
    private final ArchiveStorage archives;
    private final BackupEncryption encryption;
    private final StateKeys keys;

    RecordStep(BackupCatalog catalog, ArchiveStorage archives, BackupEncryption encryption, StateKeys keys) {
        this.catalog = catalog;
        this.archives = archives;
        this.encryption = encryption;
        this.keys = keys;
    }

    void run(BackupService.Request request, Manifest manifest, Map<String, Long> rowCounts,
            RoleCapture.Captured roles, Deadline deadline, List<String> secrets) {
        try {
            catalog.verifyReadable(catalog.writeRecords(manifest, rowCounts, () -> uploadRoles(roles, request,
                    deadline)));
        } catch (RuntimeException thrown) {
            Exception e = thrown instanceof UncheckedIOException io ? io.getCause() : thrown;
            String why = Redactor.scrub(e instanceof Failure ? e.getMessage() : e.getClass().getSimpleName() + ": "
                    + e.getMessage(), secrets);
            String removed;
            try {
                catalog.discard(request.filename(), request.backupClass());
                removed = "no backup was written";
            } catch (RuntimeException d) {
                removed = "the archive " + request.filename() + " could not be removed (" + d.getClass().getSimpleName()
                        + "): do not restore it";
            }
            throw Failure.server(BACKUP_FAILED, "its records could not be written and read back as a restore reads "
                    + "them (" + why + "); " + removed, why);
        }
    }

    /** The roles' object, written while the row counts are ({@link BackupCatalog#writeRecords}); what it holds. */
    private RoleGlobals uploadRoles(RoleCapture.Captured roles, BackupService.Request request, Deadline deadline) {
        try {
            return RoleCapture.upload(roles, archives, encryption, keys, request.filename(), deadline);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
