package dev.pgbackup.restore;

import dev.pgbackup.common.time.Deadline;
import java.sql.SQLException;
import java.util.List;

/**
 * One way of putting a checked archive's data on the server ({@link SwapRestore}, {@link CopyRestore},
 * {@link InPlaceRestore}), run over a plan decided before any database was touched, once the server is open and
 * repaired. What it could not do but did not fail for goes into {@code notes}.
 */
interface RestoreStrategy {
    /** What a strategy did, for the job's outcome. */
    record Done(long pgRestoreMillis, int jobs, String preRestoreCopy, boolean preRestoreCopyKept,
            List<String> droppedCopies, String copy, List<String> tables) {}

    Done run(AdminOps admin, RestoreService.Plan plan, RestoreService.Archive archive, Deadline deadline,
            List<String> notes) throws SQLException;
}
