package dev.pgbackup.backup;

import static dev.pgbackup.common.failure.Verdict.BACKUP_FAILED;

import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.jobs.Timings;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * The server's roles ({@link RoleCapture}) captured on a thread of their own while pg_dump runs: pg_dumpall's start
 * and its queries are then no longer added to every backup's time. A capture that fails still fails the backup; the
 * archive written meanwhile is removed first, so no backup without its roles is ever left.
 */
final class RolesAlongside {
    private final CompletableFuture<RoleCapture.Captured> capturing = new CompletableFuture<>();

    private RolesAlongside() {}

    /** Starts capturing; the job's "roles" step is the capture's own time (it overlaps the dump). */
    static RolesAlongside start(Timings timings, Supplier<RoleCapture.Captured> capture) {
        RolesAlongside roles = new RolesAlongside();
        Thread thread = new Thread(() -> {
            try {
                roles.capturing.complete(timings.time("roles", capture));
            } catch (RuntimeException | Error e) {
                roles.capturing.completeExceptionally(e);
            }
        }, "backup-roles");
        thread.setDaemon(true);
        thread.start();
        return roles;
    }

    /**
     * The captured roles, once captured; if the capture failed, {@code discard} removes the backup's archive and the
     * capture's failure is the backup's.
     */
    RoleCapture.Captured await(Runnable discard, String filename) {
        try {
            return capturing.join();
        } catch (CompletionException e) {
            RuntimeException failure = e.getCause() instanceof RuntimeException r ? r
                    : Failure.server(BACKUP_FAILED, "the roles could not be read (" + e.getCause().getClass()
                            .getSimpleName() + "); no backup was written");
            try {
                discard.run();
            } catch (RuntimeException d) {
                throw Failure.server(failure.getMessage() + "; but the archive " + filename
                        + " could not be removed (" + d.getClass().getSimpleName() + "): do not restore it");
            }
            throw failure;
        }
    }
}
