package dev.pgbackup.restore;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The journal of the databases this stack created on its server and has not dropped: restores being built, the
 * pre-restore copies a swap keeps, drill scratch databases, restores made beside the target. A database is dropped only when this journal holds it
 * and the server still has that name with that OID, never because its name looks like one of ours: on a server
 * shared by several stacks (or a database called {@code X_pre}), a name pattern matches other people's databases.
 * Restores and drills run at the same time (different locks), so every change is a conditional write, retried.
 */
public final class CreatedDatabases {
    /** COPY: a restore's new database beside the target ({@code "into": "copy"}), bounded by {@link CopyExpiry}. */
    public enum Kind {
        RESTORING, PRE_RESTORE, DRILL, COPY
    }

    /** A database we created (or, for a pre-restore copy, renamed the target to), by name and OID. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Entry(String name, long oid, Kind kind, String target, String jobId, Instant createdAt) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Journal(List<Entry> databases) {}

    static final int ATTEMPTS = 10;

    private final Records records;
    private final StateKeys keys;
    private final Clock clock;

    public CreatedDatabases(ObjectStore objects, StateKeys keys, Clock clock) {
        this.records = new Records(objects);
        this.keys = keys;
        this.clock = clock;
    }

    /** Records a database this job created (or renamed into place), with the OID the server gave it. */
    public Entry add(String name, long oid, Kind kind, String target, String jobId) {
        Entry entry = new Entry(name, oid, kind, target, jobId, clock.instant());
        change(list -> {
            List<Entry> next = new ArrayList<>(list);
            next.removeIf(e -> e.name().equals(name) && e.oid() == oid);
            next.add(entry);
            return next;
        });
        return entry;
    }

    /** Forgets a database (dropped, or now under another name: a restored database that became the target). */
    public void remove(String name, long oid) {
        change(list -> list.stream().filter(e -> !(e.name().equals(name) && e.oid() == oid)).toList());
    }

    public List<Entry> all() {
        return records.read(keys.createdDatabases(), Journal.class).map(Journal::databases).map(List::copyOf)
                .orElse(List.of());
    }

    /** This target's entries of one kind, newest first. */
    public List<Entry> of(Kind kind, String target) {
        return all().stream().filter(e -> e.kind() == kind && e.target().equals(target))
                .sorted(Comparator.comparing(Entry::createdAt).reversed()).toList();
    }

    /**
     * Drops the entry's database if the server still has it under that name and OID, and forgets the entry when the
     * database is gone (dropped now, or before by someone else). Returns what happened, empty when there was nothing
     * to drop; a database under that name with another OID is not ours and is left alone.
     */
    public Optional<Dropping> drop(AdminOps admin, Entry e) throws SQLException {
        Optional<Long> oid = admin.oid(e.name());
        if (oid.isEmpty() || oid.get() != e.oid()) {
            remove(e.name(), e.oid());
            return Optional.empty();
        }
        Optional<String> failed = admin.dropQuietly(e.name());
        if (failed.isPresent()) {
            return Optional.of(new Dropping(false, failed.get()));
        }
        remove(e.name(), e.oid());
        return Optional.of(new Dropping(true, "dropped '" + e.name() + "'"));
    }

    /** Whether {@link #drop} dropped the database, and its note for the job (what was dropped, or why it stayed). */
    public record Dropping(boolean dropped, String note) {}

    private void change(UnaryOperator<List<Entry>> edit) {
        String key = keys.createdDatabases();
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Optional<Records.Versioned<Journal>> current = records.readVersioned(key, Journal.class);
            List<Entry> before = current.map(v -> v.value().databases()).map(List::copyOf).orElse(List.of());
            Journal next = new Journal(edit.apply(before));
            boolean written = current.isEmpty() ? records.create(key, next)
                    : records.replace(key, next, current.get().stored().eTag());
            if (written) {
                return;
            }
        }
        throw new IllegalStateException("the journal of created databases " + key + " kept changing under "
                + ATTEMPTS + " attempts to update it");
    }
}
