package dev.pgbackup.restore;

import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.common.time.Deadline;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The default mode: restored into a new database; only when pg_restore exited 0 and every byte matched the recorded
 * checksum does {@link SwapProtocol} put it in the target's place, the target kept as a pre-restore copy (bounded by
 * {@link KeptCopies}). Any failure before the swap drops the new database and leaves the target as it was.
 */
final class SwapRestore implements RestoreStrategy {
    private final Fill fill;
    private final KeptCopies kept;
    private final ServerRoom room;
    private final ObjectStore objects;
    private final StateKeys keys;
    private final Clock clock;

    SwapRestore(Fill fill, KeptCopies kept, ServerRoom room, ObjectStore objects, StateKeys keys, Clock clock) {
        this.fill = fill;
        this.kept = kept;
        this.room = room;
        this.objects = objects;
        this.keys = keys;
        this.clock = clock;
    }

    @Override
    public Done run(AdminOps admin, RestoreService.Plan plan, RestoreService.Archive archive, Deadline deadline,
            List<String> notes) throws SQLException {
        String target = plan.target();
        Optional<AdminSession.DatabaseFacts> facts = admin.facts(target);
        room.require(plan, notes);
        String fresh = plan.names().restoring(clock.instant(), admin.databaseNames()::contains);
        long createStart = System.nanoTime();
        CreatedDatabases.Entry building = kept.build(admin, fresh, facts, plan);
        plan.timings().add("create", (System.nanoTime() - createStart) / 1_000_000);
        CreatedDatabases.Entry copy = null;
        boolean swapped = false;
        long millis;
        int jobs = fill.jobs(plan, archive.checked(), notes);
        try {
            // the whole archive: a table-only restore is always a copy
            millis = fill.intoNew(admin, plan, archive, fresh, Optional.empty(), jobs, deadline, notes);
            // the swap's retries stop at the deadline; starting it with less left could end them before the
            // sessions are gone, for nothing (the restored copy is dropped either way)
            if (deadline.remaining().compareTo(SwapProtocol.MIN_TIME) < 0) {
                throw RestoreFailure.failed(target, "less than " + SwapProtocol.MIN_TIME.toSeconds() + " s were left "
                        + "before the worker's time limit to swap the databases (the restored copy is dropped)");
            }
            facts.flatMap(f -> admin.giveTo(fresh, f.owner())).ifPresent(notes::add);
            if (facts.isPresent()) {
                // what was set on the target itself is in no dump: it goes with the name, not with the copy
                notes.addAll(admin.carrySettings(target, fresh));
                // journalled before the rename: the entry names the target's OID under the copy's name, which exists
                // only once the rename has happened, so an entry of a swap that never got there matches nothing
                copy = kept.journal(plan.names().preRestore(clock.instant(), admin.databaseNames()::contains),
                        admin.oid(target).orElseThrow(), CreatedDatabases.Kind.PRE_RESTORE, plan);
            }
            plan.progress().phase("swapping", null);
            long swapStart = System.nanoTime();
            new SwapProtocol(admin, objects, keys, clock).swap(plan.jobId(), fresh, target,
                    copy == null ? null : copy.name(), facts.isPresent(), deadline, notes);
            plan.timings().add("swap", (System.nanoTime() - swapStart) / 1_000_000);
            swapped = true;
        } finally {
            if (!swapped) {
                kept.forgetAfterFailure(admin, building, copy, notes);
            }
        }
        String keptName = copy == null ? null : copy.name();
        List<String> dropped = plan.timings().time("kept", () -> {
            kept.built(building, notes);
            return keptName == null ? List.<String>of() : kept.bound(admin, target, keptName, notes);
        });
        boolean keptCopy = copy != null && !dropped.contains(copy.name());
        return new Done(millis, jobs, copy == null ? null : copy.name(), keptCopy, dropped, null, null);
    }
}
