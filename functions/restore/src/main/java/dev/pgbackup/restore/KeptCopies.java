package dev.pgbackup.restore;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The databases a restore makes, as this stack's journal ({@link CreatedDatabases}) holds them: the one being built,
 * dropped and forgotten when the restore fails; those a killed worker left half-built; and the pre-restore copies a
 * swap keeps, bounded to the newest PreRestoreCopiesToKeep. Nothing the journal does not name is ever dropped.
 */
final class KeptCopies {
    private final CreatedDatabases created;
    private final int toKeep;

    KeptCopies(CreatedDatabases created, int toKeep) {
        this.created = created;
        this.toKeep = toKeep;
    }

    /**
     * Databases a killed worker left half-built for this target: only those this stack's journal holds, under the
     * name and OID it recorded (the restore lock is ours, so none of them is being built now).
     */
    void dropLeftovers(AdminOps admin, String target, List<String> notes) throws SQLException {
        for (CreatedDatabases.Entry e : created.of(CreatedDatabases.Kind.RESTORING, target)) {
            created.drop(admin, e).ifPresent(d -> notes.add(d.dropped() ? d.note()
                    + " left by an earlier restore that did not finish" : d.note()));
        }
    }

    /**
     * Creates {@code name} like the target ({@code facts}), journalled as being built until it is whole: a killed
     * worker's half-made database is dropped as a leftover.
     */
    CreatedDatabases.Entry build(AdminOps admin, String name, Optional<AdminSession.DatabaseFacts> facts,
            RestoreService.Plan plan) throws SQLException {
        admin.createDatabase(name, facts);
        return journal(name, admin.oid(name).orElseThrow(), CreatedDatabases.Kind.RESTORING, plan);
    }

    CreatedDatabases.Entry journal(String name, long oid, CreatedDatabases.Kind kind, RestoreService.Plan plan) {
        return created.add(name, oid, kind, plan.target(), plan.jobId());
    }

    /** The database that was built is the target now: its entry under its former name goes. */
    void built(CreatedDatabases.Entry building, List<String> notes) {
        attempt(notes, "the journal still names the restored database under its former name", () -> created.remove(
                building.name(), building.oid()));
    }

    /**
     * The restore failed: its half-built database is dropped, and neither it nor the copy's entry stays in the journal.
     * If the original is under the copy's name (a swap whose renames both failed), it is not in the journal either, so
     * nothing but the swap journal's repair ever touches it.
     */
    void forgetAfterFailure(AdminOps admin, CreatedDatabases.Entry building, CreatedDatabases.Entry copy,
            List<String> notes) {
        Optional<String> notDropped = admin.dropQuietly(building.name());
        notDropped.ifPresent(notes::add);
        if (notDropped.isEmpty()) {
            attempt(notes, "the journal still names the dropped '" + building.name() + "'",
                    () -> created.remove(building.name(), building.oid()));
        }
        if (copy != null) {
            CreatedDatabases.Entry c = copy;
            attempt(notes, "the journal still names '" + c.name() + "'", () -> created.remove(c.name(), c.oid()));
        }
    }

    /**
     * Keeps the newest PreRestoreCopiesToKeep copies of this target that this stack's journal holds (0: none) and
     * drops the others; returns the names dropped. Only after a successful swap, so a failed restore never costs a copy.
     */
    List<String> bound(AdminOps admin, String target, String made, List<String> notes) {
        List<String> dropped = new ArrayList<>();
        try {
            List<CreatedDatabases.Entry> copies = created.of(CreatedDatabases.Kind.PRE_RESTORE, target);
            for (CreatedDatabases.Entry old : copies.subList(Math.min(toKeep, copies.size()), copies.size())) {
                Optional<CreatedDatabases.Dropping> what = created.drop(admin, old);
                if (what.isPresent() && what.get().dropped()) {
                    dropped.add(old.name());
                } else {
                    what.ifPresent(d -> notes.add(d.note() + "; it was kept"));
                }
            }
        } catch (SQLException | RuntimeException e) {
            notes.add("older pre-restore copies were not bounded this time (" + e.getClass().getSimpleName() + ")");
        }
        List<String> older = dropped.stream().filter(n -> !n.equals(made)).toList();
        if (!older.isEmpty()) {
            notes.add("dropped " + older.size() + " older pre-restore cop" + (older.size() == 1 ? "y" : "ies")
                    + " beyond the " + toKeep + " kept: " + String.join(", ", older));
        }
        return dropped;
    }

    private static void attempt(List<String> notes, String whatIfNot, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            notes.add(whatIfNot + " (" + e.getClass().getSimpleName() + ")");
        }
    }
}
