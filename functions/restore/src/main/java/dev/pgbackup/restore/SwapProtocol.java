package dev.pgbackup.restore;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Puts a restored database in the target's place, with every failure rule in one place: new connections to
 * the target are blocked, its sessions ended, the target renamed to the kept copy's name, the restored one
 * renamed to the target's. If the second rename fails the first is undone, so the target is never missing.
 * A journal written before the first rename lets the next restore repair a swap whose worker was killed
 * between the two renames.
 */
final class SwapProtocol {
    /** The least time before the deadline in which a swap is started (its retries stop at the deadline). */
    static final Duration MIN_TIME = Duration.ofSeconds(90);
    static final int RENAME_ATTEMPTS = 20;

    /** The names of a swap in progress. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Journal(String jobId, String target, String fresh, String old, Instant startedAt) {}

    private final AdminOps admin;
    private final Records records;
    private final StateKeys keys;
    private final Clock clock;

    SwapProtocol(AdminOps admin, ObjectStore objects, StateKeys keys, Clock clock) {
        this.admin = admin;
        this.records = new Records(objects);
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * Undoes a swap a killed worker left half done: the target missing and the kept copy present means the
     * first rename ran and the second did not, so the copy gets its name back. Returns what it did.
     */
    List<String> repair() throws SQLException {
        Optional<Journal> journal = records.read(keys.swapJournal(), Journal.class);
        if (journal.isEmpty()) {
            return List.of();
        }
        Journal j = journal.get();
        List<String> notes = new ArrayList<>();
        Set<String> names = admin.databaseNames();
        if (!names.contains(j.target()) && names.contains(j.old())) {
            admin.rename(j.old(), j.target());
            admin.allowConnections(j.target(), true);
            notes.add("repaired the swap of job " + j.jobId() + ", interrupted between its renames: '" + j.old()
                    + "' is '" + j.target() + "' again");
        }
        records.store().delete(keys.swapJournal());
        return notes;
    }

    /** Renames {@code fresh} to {@code target}, moving an existing target to {@code old} first. */
    void swap(String jobId, String fresh, String target, String old, boolean targetExists, Deadline deadline,
            List<String> notes) throws SQLException {
        if (!targetExists) {
            admin.rename(fresh, target);
            return;
        }
        records.write(keys.swapJournal(), new Journal(jobId, target, fresh, old, clock.instant()));
        // no statement of the swap waits long for a lock: each attempt stays within the deadline
        boolean lockTimeout = admin.limitLockWait();
        boolean blocked = admin.allowConnections(target, false);
        if (!blocked) {
            notes.add("new connections could not be blocked during the swap (not the database owner)");
        }
        String original = target; // where the original database is, to let connections in again
        try {
            renameAway(target, old, deadline);
            original = old;
            try {
                admin.rename(fresh, target);
            } catch (SQLException e) {
                undo(target, old, e);
                original = target;
                throw RestoreFailure.unchanged(target, "Restore failed while swapping databases: " + admin.message(e));
            }
        } catch (RestoreFailure f) {
            if (f.state() == RestoreFailure.TargetState.UNCHANGED) {
                clearJournal(notes); // the target is where it was: nothing to repair
            }
            throw f;
        } catch (SQLException | RuntimeException e) {
            clearJournal(notes); // only the first rename's preparation can fail this way: the target is in place
            throw e;
        } finally {
            if (blocked) {
                admin.allowConnections(original, true);
            }
            if (lockTimeout) {
                admin.resetLockWait();
            }
        }
        clearJournal(notes);
    }

    private void undo(String target, String old, SQLException cause) {
        try {
            admin.rename(old, target);
        } catch (SQLException undo) {
            // the journal stays: the next restore puts the original back
            throw RestoreFailure.renamedAway(target, "Restore failed while swapping databases ("
                    + admin.message(cause) + ") and the original database could not be renamed back ("
                    + admin.message(undo) + ")", old);
        }
    }

    private void clearJournal(List<String> notes) {
        try {
            records.store().delete(keys.swapJournal());
        } catch (RuntimeException e) {
            notes.add("the swap journal could not be removed (the next restore removes it)");
        }
    }

    /**
     * Renames the target to {@code old}, ending its sessions (and any that raced in) until it succeeds, at
     * most {@link #RENAME_ATTEMPTS} times and never past the deadline: it returns with the target renamed,
     * or throws with the target still under its name.
     */
    private void renameAway(String target, String old, Deadline deadline) throws SQLException {
        String lastError = null;
        int left = 0;
        for (int attempt = 1;; attempt++) {
            if (deadline.passed()) {
                throw RestoreFailure.failed(target, "the database '" + target + "' could not be "
                        + "taken out of use before the worker's time limit" + why(left, lastError));
            }
            left = admin.terminateSessions(target, deadline);
            if (deadline.passed()) {
                continue; // ending the sessions used up the time: fail above, without renaming now
            }
            try {
                admin.rename(target, old);
                return;
            } catch (SQLException e) {
                // 55006: sessions still connected; 55P03: a lock not granted within lock_timeout
                boolean retry = "55006".equals(e.getSQLState()) || "55P03".equals(e.getSQLState());
                lastError = admin.message(e);
                if (!retry || attempt >= RENAME_ATTEMPTS) {
                    throw RestoreFailure.failed(target, "could not take the database '" + target
                            + "' out of use" + why(left, lastError));
                }
                AdminSession.pause(Duration.ofMillis(Math.min(100L * attempt, deadline.remaining().toMillis())));
            }
        }
    }

    private static String why(int sessionsLeft, String lastError) {
        List<String> why = new ArrayList<>();
        if (sessionsLeft > 0) {
            why.add(sessionsLeft + " session(s) could not be ended");
        }
        if (lastError != null) {
            why.add(lastError);
        }
        return why.isEmpty() ? "" : " (" + String.join(", ", why) + ")";
    }
}
