package dev.pgbackup.restore.api;

import static dev.pgbackup.common.failure.Verdict.SAFETY_CHECK_FAILED;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.auth.Passkey;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.KmsRefusal;
import dev.pgbackup.common.storage.LastBackup;
import dev.pgbackup.common.storage.LastRestore;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.restore.RestoreRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The restore's safety checks, in this order, each a {@link Failure} with its status: a file name of the
 * backup name shape (400), the passkey (403), the bucket (500), the backup exists (404), its
 * environment may be restored here (409), its KMS key lets this stack read it (403), and this environment has a backup that completed within the window
 * and was taken after its last restore (409). The lock comes after, in {@link RestoreStarter}.
 */
public final class RestoreChecks {
    public static final String INVALID_PASSKEY = "Invalid restore passkey";

    private final Config config;
    private final Passkey passkey;
    private final ObjectStore objects;
    private final BackupCatalog catalog;
    private final Records records;
    private final StateKeys keys;
    private final Clock clock;

    public RestoreChecks(Config config, Passkey passkey, ObjectStore objects, BackupCatalog catalog, StateKeys keys,
            Clock clock) {
        this.config = config;
        this.passkey = passkey;
        this.objects = objects;
        this.catalog = catalog;
        this.records = new Records(objects);
        this.keys = keys;
        this.clock = clock;
    }

    /** The backup to restore, once every check passed; the audit entry learns what is safe to log. */
    public BackupObject approve(String filename, String givenPasskey, AuditLog.Entry audit) {
        return approve(filename, givenPasskey, RestoreRequest.REPLACE, audit);
    }

    /**
     * As above, for a restore over the database or beside it: a copy replaces nothing, so it needs no safety backup;
     * every other rule holds for it.
     */
    public BackupObject approve(String filename, String givenPasskey, RestoreRequest request, AuditLog.Entry audit) {
        Optional<String> problem = filenameProblem(config.appName(), filename);
        if (problem.isPresent()) {
            // the rejected name is not logged: it is caller input of any shape (even a pasted passkey)
            audit.with("filenameLength", filename.length());
            throw Failure.badRequest(problem.get());
        }
        audit.with("filename", filename);
        if (!passkey.matches(givenPasskey)) {
            throw new Failure(Failure.Kind.FORBIDDEN, INVALID_PASSKEY);
        }
        objects.checkBucket();
        BackupObject backup = catalog.find(filename)
                .orElseThrow(() -> Failure.notFound("Backup file not found: " + filename));
        audit.with("sourceEnvironment", backup.environment()).with("bytes", backup.size());
        checkSource(backup);
        checkKey(backup);
        if (!request.copy()) {
            checkSafetyBackup();
        }
        return backup;
    }

    /**
     * The scheduled refresh's checks: the stack's own configuration chose the backup (no caller, no passkey), but what
     * may be restored here and the way back (a safety backup taken since the last restore) are checked as for the API.
     * The KMS key is checked by the worker's first read of the archive, before the target is touched.
     */
    public void approveScheduled(BackupObject backup) {
        checkSource(backup);
        checkSafetyBackup();
    }

    private void checkSource(BackupObject backup) {
        if (!config.acceptsRestoreFrom(backup.environment())) {
            throw Failure.conflict(SAFETY_CHECK_FAILED, "backups of '" + backup.environment() + "' may not be restored "
                    + "into '" + config.environment() + "' (this stack accepts backups of: "
                    + String.join(", ", config.restoreSources()) + ")");
        }
    }

    /** The backup's KMS key must let this stack read it (the key policy decides), or the restore cannot start. */
    private void checkKey(BackupObject backup) {
        try {
            objects.checkKeyAccess(backup.filename());
        } catch (RuntimeException e) {
            if (KmsRefusal.in(e)) {
                throw new Failure(Failure.Kind.FORBIDDEN, KmsRefusal.restoreMessage(backup.filename(),
                        backup.environment()), String.valueOf(e.getMessage()));
            }
            throw e;
        }
    }

    /**
     * A backup of the current environment that completed within the window, still exists, and was started
     * after the last restore changed this database (else a second restore within the window would leave a
     * way back without the writes made in between).
     */
    private void checkSafetyBackup() {
        Instant since = clock.instant().minus(config.recentBackupWindow());
        Optional<LastBackup> recent = records.read(keys.lastBackup(), LastBackup.class)
                .filter(done -> !done.completedAt().isBefore(since))
                .filter(done -> catalog.find(done.filename())
                        .filter(b -> b.environment().equals(config.environment())).isPresent());
        if (recent.isEmpty()) {
            throw Failure.conflict(noRecentBackupMessage(config.environment(), config.recentBackupWindow()));
        }
        Optional<LastRestore> lastRestore = records.read(keys.lastRestore(), LastRestore.class);
        if (lastRestore.isPresent() && !recent.get().startedAt().isAfter(lastRestore.get().changedAt())) {
            throw Failure.conflict(SAFETY_CHECK_FAILED, "the newest backup of '" + config.environment() + "' started "
                    + "before its last restore (job " + lastRestore.get().jobId() + ") changed the database, so it "
                    + "would not bring back what was written since. Please create a backup first (POST "
                    + "/api/setting/backup) and then retry restore.");
        }
    }

    public static String noRecentBackupMessage(String environment, Duration window) {
        long minutes = window.toMinutes();
        return SAFETY_CHECK_FAILED.message("No recent backup found from '" + environment + "' environment within last "
                + minutes + (minutes == 1 ? " minute" : " minutes")
                + ". Please create a backup first (POST /api/setting/backup) and then retry restore.");
    }

    /**
     * Why {@code filename} does not have the shape of a backup name (docs/openapi.yaml's BackupFileName), or empty
     * if it has: no path, no encoding, nothing around the name; the explicit checks give clearer messages. A name
     * of that shape that is no backup of this app (another app's, a date that does not exist) passes here and is
     * then not found: the catalog never looks such a name up in the bucket.
     */
    public static Optional<String> filenameProblem(String appName, String filename) {
        String expected = " (expected " + appName + "-<environment>-on-YYYY-MM-DD-at-hh-mm-ss-AM|PM-<zone>.dump)";
        if (filename.length() > BackupName.MAX_LENGTH) {
            return Optional.of("Invalid backup file name: longer than " + BackupName.MAX_LENGTH + " characters");
        }
        for (int i = 0; i < filename.length(); i++) {
            char c = filename.charAt(i);
            if (c == '/' || c == '\\' || c == '%' || c < 0x20 || c == 0x7f || c > 0x7e) {
                return Optional.of("Invalid backup file name: only a file name is allowed, without paths, encodings "
                        + "or special characters" + expected);
            }
        }
        if (!BackupName.isWellFormed(filename)) {
            return Optional.of("Invalid backup file name" + expected);
        }
        return Optional.empty();
    }
}
