package dev.pgbackup.restore;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.config.CopySettings;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.StateKeys;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The databases restores made beside the environment's ({@link CreatedDatabases.Kind#COPY}) are bounded like the kept
 * pre-restore copies: each is dropped once it is RestoreCopyExpiryHours old (at the start of this stack's next restore
 * or drill, and by the hourly sweep), and before a new one is made the oldest go until at most RestoreCopiesToKeep
 * exist with it. Only copies this stack's journal holds under their name and OID are ever dropped, each with an audit
 * line saying why: an operator looking for a vanished copy finds who dropped it.
 */
public final class CopyExpiry {
    private final CreatedDatabases created;
    private final CopySettings settings;
    private final Clock clock;
    private final AuditLog audit;

    public CopyExpiry(ObjectStore objects, StateKeys keys, Clock clock, CopySettings settings, AuditLog audit) {
        this.created = new CreatedDatabases(objects, keys, clock);
        this.settings = settings;
        this.clock = clock;
        this.audit = audit;
    }

    /** This stack's copies, newest first. */
    List<CreatedDatabases.Entry> copies() {
        return created.all().stream().filter(e -> e.kind() == CreatedDatabases.Kind.COPY)
                .sorted(java.util.Comparator.comparing(CreatedDatabases.Entry::createdAt).reversed()).toList();
    }

    /** Whether any copy has expired: the sweep connects to the server only then. */
    boolean anyExpired() {
        Instant now = clock.instant();
        return copies().stream().anyMatch(e -> expired(e, now));
    }

    private boolean expired(CreatedDatabases.Entry e, Instant now) {
        return !e.createdAt().plus(settings.expiry()).isAfter(now);
    }

    /** Drops the copies older than the expiry; returns the names dropped. {@code jobId} is the job doing it, if any. */
    public List<String> dropExpired(AdminOps admin, String jobId, List<String> notes) throws SQLException {
        Instant now = clock.instant();
        List<String> dropped = new ArrayList<>();
        for (CreatedDatabases.Entry e : copies()) {
            if (expired(e, now)) {
                drop(admin, e, jobId, "expired: older than RestoreCopyExpiryHours (" + settings.expiry().toHours()
                        + " h)", notes).ifPresent(dropped::add);
            }
        }
        return dropped;
    }

    /** Before a new copy is made: the oldest copies go until, with the new one, at most RestoreCopiesToKeep exist. */
    List<String> makeRoom(AdminOps admin, String jobId, List<String> notes) throws SQLException {
        List<CreatedDatabases.Entry> copies = copies();
        int keep = Math.max(0, settings.keep() - 1);
        List<String> dropped = new ArrayList<>();
        for (CreatedDatabases.Entry e : copies.subList(Math.min(keep, copies.size()), copies.size())) {
            drop(admin, e, jobId,
                    "more than RestoreCopiesToKeep (" + settings.keep() + ") copies with the new one: the "
                            + "oldest goes first",
                    notes).ifPresent(dropped::add);
        }
        return dropped;
    }

    private Optional<String> drop(AdminOps admin, CreatedDatabases.Entry e, String jobId, String reason,
            List<String> notes) throws SQLException {
        Optional<CreatedDatabases.Dropping> what = created.drop(admin, e);
        if (what.isEmpty()) {
            return Optional.empty(); // gone already (dropped by hand), or another database now has the name: forgotten
        }
        if (!what.get().dropped()) {
            notes.add(what.get().note() + "; it was kept");
            return Optional.empty();
        }
        audit.entry("restore.copy.drop").with("jobId", jobId).with("database", e.name()).with("kind", "copy")
                .with("target", e.target()).with("createdAt", e.createdAt().toString()).with("madeByJob", e.jobId())
                .with("reason", reason).write("DROPPED");
        notes.add("dropped the copy '" + e.name() + "' (" + reason + ")");
        return Optional.of(e.name());
    }
}
