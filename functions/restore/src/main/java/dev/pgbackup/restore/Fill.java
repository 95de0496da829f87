package dev.pgbackup.restore;

import dev.pgbackup.common.time.Deadline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Fills a new database from the archive (all of it, or the entries a table-only restore chose), streamed or from a
 * downloaded copy with parallel jobs, then runs the sanitising script in it and gathers its statistics: everything
 * that happens before anyone can use it.
 */
final class Fill {
    private final RestoreServer server;
    /** Where a parallel restore downloads the archive, and a table-only restore writes its use-list. */
    private final Path scratch;
    private final int configuredJobs;

    Fill(RestoreServer server, Path scratch, int configuredJobs) {
        this.server = server;
        this.scratch = scratch;
        this.configuredJobs = configuredJobs;
    }

    /** pg_restore jobs for this archive, as {@link RestorePlan} chooses them; why goes into the job's details. */
    int jobs(RestoreService.Plan plan, ArchiveReads.Checked checked, List<String> notes) {
        RestorePlan.Choice choice = RestorePlan.choose(configuredJobs, Runtime.getRuntime().availableProcessors(),
                checked.contents(), plan.backup().size(), plan.reads().encrypted(), RestorePlan.usable(scratch));
        notes.add(choice.reason());
        return choice.jobs();
    }

    /**
     * {@link #into} for a database made for this restore, which nobody uses until it is done: meanwhile its commits
     * do not wait for their WAL flush. pg_restore with parallel jobs commits every entry on its own, and where a flush
     * is a disk's or a standby's round trip, thousands of small tables wait on thousands of them. The setting is taken
     * back before this returns, on the admin session that was open before the fill: that commit waits for its flush,
     * and the WAL is one sequence, so every commit of the fill is on disk once it returns. A server that crashed
     * meanwhile (losing the fill's last commits) ended that session, and with it the restore: a database missing
     * them is never swapped in or kept.
     */
    long intoNew(AdminOps admin, RestoreService.Plan plan, RestoreService.Archive archive, String database,
            Optional<TableSelection.Chosen> selection, int jobs, Deadline deadline, List<String> notes)
            throws SQLException {
        boolean skipped = admin.skipCommitFlushes(database);
        if (!skipped) {
            notes.add("the restore's commits waited for their WAL flush (synchronous_commit could not be set on the "
                    + "new database)");
        }
        long millis = into(plan, archive, database, selection, jobs, deadline, notes);
        if (skipped) {
            admin.resumeCommitFlushes(database);
        }
        return millis;
    }

    /** Fills {@code database}, sanitises and analyses it; returns pg_restore's time. */
    private long into(RestoreService.Plan plan, RestoreService.Archive archive, String database,
            Optional<TableSelection.Chosen> selection, int jobs, Deadline deadline, List<String> notes)
            throws SQLException {
        Path useList = selection.isEmpty() ? null : writeUseList(plan, selection.get());
        long millis;
        try {
            millis = jobs > 1
                    ? server.parallel(plan, archive, database, useList, jobs, deadline)
                    : plan.timings().time("pg_restore", () -> server.stream(plan, archive.pgRestore(), database,
                            useList, deadline));
        } finally {
            deleteQuietly(useList);
        }
        if (plan.script().isPresent()) {
            plan.progress().phase("sanitising", null);
            long start = System.nanoTime();
            server.sanitize(plan, database, deadline, selection.isPresent());
            plan.timings().add("sanitize", (System.nanoTime() - start) / 1_000_000);
        }
        analyze(plan, database, deadline, notes);
        return millis;
    }

    /** Planner statistics for the restored database, timed as "analyze". */
    void analyze(RestoreService.Plan plan, String database, Deadline deadline, List<String> notes)
            throws SQLException {
        plan.progress().phase("gathering statistics", null);
        long start = System.nanoTime();
        server.analyze(plan, database, deadline, notes);
        plan.timings().add("analyze", (System.nanoTime() - start) / 1_000_000);
    }

    private Path writeUseList(RestoreService.Plan plan, TableSelection.Chosen chosen) {
        try {
            Path file = Files.createTempFile(scratch, "restore-" + plan.jobId() + "-", ".list");
            Files.writeString(file, chosen.useList());
            return file;
        } catch (IOException e) {
            throw RestoreFailure.failed(plan.target(), "the list of entries to restore could not "
                    + "be written to the worker's disk (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // /tmp is the worker's own
            }
        }
    }
}
