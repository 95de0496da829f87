package dev.pgbackup.restore;

import static dev.pgbackup.common.failure.Verdict.RESTORE_FAILED;
import static dev.pgbackup.common.failure.Verdict.RESTORE_REFUSED;

import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.storage.BackupCatalog;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The previous implementation's drop-and-recreate, by configuration. The whole archive was read (and its
 * checksum verified) before this runs, so a corrupt or truncated file is refused while the database is still
 * intact, as is a restore without the time to finish; a failure after the drop leaves an empty database, and
 * its failure says so.
 */
final class InPlaceRestore implements RestoreStrategy {
    /** The target is dropped only with this much time, plus 3x the archive check's time, left. */
    static final Duration EXTRA_TIME = Duration.ofSeconds(60);
    static final int READ_FACTOR = 3;

    private final BackupCatalog catalog;
    private final Fill fill;
    private final RestoreServer server;

    InPlaceRestore(BackupCatalog catalog, Fill fill, RestoreServer server) {
        this.catalog = catalog;
        this.fill = fill;
        this.server = server;
    }

    @Override
    public Done run(AdminOps admin, RestoreService.Plan plan, RestoreService.Archive archive, Deadline deadline,
            List<String> notes) throws SQLException {
        long start = System.nanoTime();
        long millis = replace(admin, plan, archive.pgRestore(), archive.checked().millis(), deadline);
        plan.timings().add("pg_restore", (System.nanoTime() - start) / 1_000_000);
        fill.analyze(plan, plan.target(), deadline, notes);
        return new Done(millis, 1, null, false, List.of(), null, null);
    }

    /** Returns pg_restore's time. */
    private long replace(AdminOps admin, RestoreService.Plan plan, PgTools.Installation pgRestore, long checkMillis,
            Deadline deadline) throws SQLException {
        String target = plan.target();
        // The restore streams the same bytes again and also writes them into tables and builds the indexes,
        // so it takes longer than the check's read: with less than 3 x that + 60 s left it would likely be
        // stopped at the deadline after the drop, leaving an empty database. Refuse while nothing changed.
        Duration needed = Duration.ofMillis(READ_FACTOR * checkMillis).plus(EXTRA_TIME);
        Duration left = deadline.remaining();
        if (left.compareTo(needed) < 0) {
            throw RestoreFailure.unchanged(target, RESTORE_REFUSED, "reading backup file " + plan.backup().filename()
                    + " took " + String.format(java.util.Locale.ROOT, "%.1f", checkMillis / 1000.0)
                    + " s, so an in-place restore needs about " + needed.toSeconds() + " s but only "
                    + left.toSeconds() + " s are left before the worker's time limit; raise the worker's timeout or "
                    + "use swap mode");
        }
        // the restore reads the object again (pinned to the checked ETag); if it changed since the check, stop
        // now, while the target is whole, rather than after the drop
        String checked = plan.backup().eTag();
        boolean same = catalog.find(plan.backup().filename()).map(b -> b.eTag().equals(checked)).orElse(false);
        if (!same) {
            throw RestoreFailure.failed(target, "backup file " + plan.backup().filename()
                    + " changed or disappeared after it was checked");
        }
        Optional<AdminSession.DatabaseFacts> facts = admin.facts(target);
        if (facts.isPresent()) {
            drop(admin, target);
        }
        try {
            admin.createDatabase(target, facts);
            return server.stream(plan, pgRestore, target, null, deadline);
        } catch (Failure f) {
            throw RestoreFailure.afterDrop(target, f);
        } catch (SQLException e) {
            throw RestoreFailure.afterDrop(target, Failure.server(RESTORE_FAILED, admin.message(e)));
        } catch (RuntimeException e) {
            // whatever failed (S3's second read, the tools, a bug), the target is gone and the message must say so
            throw RestoreFailure.afterDrop(target, Failure.server(RESTORE_FAILED, e.getClass().getSimpleName()));
        }
    }

    private static void drop(AdminOps admin, String target) {
        admin.allowConnections(target, false);
        try {
            admin.dropDatabase(target);
        } catch (SQLException e) {
            admin.allowConnections(target, true);
            throw RestoreFailure.failed(target, "the database could not be dropped for an in-place "
                    + "restore: " + admin.message(e));
        }
    }
}
