package dev.pgbackup.restore;

import dev.pgbackup.common.time.Deadline;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A restore beside the environment's database: a new database {@code <db>_copy_<ts>}, filled, sanitised and analysed
 * exactly as a swap restore fills the one it swaps in, then kept under its own name (the environment's database is
 * not touched: not renamed, not locked, none of its sessions ended). Journalled as a copy, which expires.
 */
final class CopyRestore implements RestoreStrategy {
    private final Fill fill;
    private final KeptCopies kept;
    private final ServerRoom room;
    private final CopyExpiry copies;
    private final Duration expiry;
    private final Clock clock;

    CopyRestore(Fill fill, KeptCopies kept, ServerRoom room, CopyExpiry copies, Duration expiry, Clock clock) {
        this.fill = fill;
        this.kept = kept;
        this.room = room;
        this.copies = copies;
        this.expiry = expiry;
        this.clock = clock;
    }

    @Override
    public Done run(AdminOps admin, RestoreService.Plan plan, RestoreService.Archive archive, Deadline deadline,
            List<String> notes) throws SQLException {
        Optional<AdminSession.DatabaseFacts> facts = admin.facts(plan.target());
        copies.makeRoom(admin, plan.jobId(), notes);
        room.require(plan, notes);
        String name = plan.names().copy(clock.instant(), admin.databaseNames()::contains);
        CreatedDatabases.Entry building = kept.build(admin, name, facts, plan);
        boolean done = false;
        long millis;
        int jobs = fill.jobs(plan, archive.checked(), notes);
        try {
            millis = fill.intoNew(admin, plan, archive, name, archive.chosen(), jobs, deadline, notes);
            facts.flatMap(f -> admin.giveTo(name, f.owner())).ifPresent(notes::add);
            kept.journal(name, building.oid(), CreatedDatabases.Kind.COPY, plan);
            done = true;
        } finally {
            if (!done) {
                kept.forgetAfterFailure(admin, building, null, notes);
            }
        }
        notes.add("the copy is dropped after " + expiry.toHours() + " h (RestoreCopyExpiryHours)");
        return new Done(millis, jobs, null, false, List.of(), name,
                archive.chosen().map(TableSelection.Chosen::tables).orElse(null));
    }
}
