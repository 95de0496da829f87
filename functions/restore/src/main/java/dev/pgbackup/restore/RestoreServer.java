package dev.pgbackup.restore;

import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.time.Deadline;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.function.Consumer;

/**
 * The database server as a restore sees it, and the pg_restore that reads archives for it: the check of the archive
 * before anything is touched, the admin session, and what fills a new database (pg_restore, the sanitising script,
 * ANALYZE). {@link PostgresRestoreServer} is the real one; behind this seam the restore core's steps and their order
 * are tested against a server held in memory.
 */
interface RestoreServer {
    /** Reads the archive before any database is touched ({@link ArchiveReads#check}). */
    ArchiveReads.Checked check(RestoreService.Plan plan, boolean wholeFile, Deadline deadline);

    /** The check of a table-only restore ({@link ArchiveReads#listWithDependencies}). */
    ArchiveReads.Checked listWithDependencies(RestoreService.Plan plan, Deadline deadline, Consumer<String> lines);

    /** The job's admin session; refused credentials are read again once. */
    AdminOps open(RestoreService.Plan plan) throws SQLException;

    /** A pg_restore that reads this archive and restores into a server of {@code serverMajor}; a Failure if none. */
    PgTools.Installation pgRestoreFor(ArchiveReads.Checked checked, int serverMajor);

    /** Streams the archive into {@code database} with one pg_restore; returns its time. */
    long stream(RestoreService.Plan plan, PgTools.Installation pgRestore, String database, Path useList,
            Deadline deadline);

    /** Restores {@code database} from a downloaded copy of the archive with {@code jobs} jobs; returns their time. */
    long parallel(RestoreService.Plan plan, RestoreService.Archive archive, String database, Path useList, int jobs,
            Deadline deadline);

    /** Runs the plan's sanitising script in {@code database}. */
    void sanitize(RestoreService.Plan plan, String database, Deadline deadline, boolean tableOnly) throws SQLException;

    /** Gathers the planner statistics of {@code database}. */
    void analyze(RestoreService.Plan plan, String database, Deadline deadline, List<String> notes) throws SQLException;
}
