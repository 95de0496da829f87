package dev.pgbackup.common.storage;

import dev.pgbackup.common.Beside;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The backups in the bucket: whole objects named by {@link BackupName} at the bucket root (where the
 * previous implementation wrote them, so its backups stay listed and restorable), and their manifests.
 */
public final class BackupCatalog {
    /** A backup of this environment with its class (scheduled when no manifest says otherwise). */
    public record Entry(BackupObject backup, BackupClass backupClass, boolean hasManifest) {}

    /**
     * By LastModified, which S3 lists to the second; within one second by the name's time, not its text: the names'
     * 12-hour clock sorts "12-59-31-PM" after "01-00-02-PM" (backups a second apart did, in a test).
     */
    private static final Comparator<BackupObject> NEWEST_FIRST = Comparator.comparing(BackupObject::lastModified)
            .thenComparing((BackupObject b) -> b.name().localTime()).thenComparing(BackupObject::filename).reversed();

    private final ObjectStore store;
    private final Records records;
    private final StateKeys keys;

    public BackupCatalog(ObjectStore store, StateKeys keys) {
        this.store = store;
        this.records = new Records(store, Manifest.MAX_BYTES);
        this.keys = keys;
    }

    /** Every backup of this app, all environments, newest first; a failed page fails the whole listing. */
    public List<BackupObject> listAll() {
        return list(keys.app() + "-");
    }

    private List<BackupObject> list(String prefix) {
        List<BackupObject> backups = new ArrayList<>();
        for (ObjectStore.Info o : store.list(prefix)) {
            BackupName.parse(keys.app(), o.key())
                    .ifPresent(name -> backups.add(new BackupObject(name, o.lastModified(), o.size(), o.eTag())));
        }
        backups.sort(NEWEST_FIRST);
        return backups;
    }

    /**
     * This environment's backups, newest first, each with its class from the manifests' keys (one more
     * listing, no reads). Backups written before manifests existed count as scheduled: kept as history.
     */
    public List<Entry> listMine() {
        Map<String, BackupClass> classes = new HashMap<>();
        String prefix = keys.manifestPrefix();
        for (ObjectStore.Info m : store.list(prefix)) {
            String rest = m.key().substring(prefix.length());
            for (BackupClass c : BackupClass.values()) {
                String suffix = "." + c.key + ".json";
                if (rest.endsWith(suffix)) {
                    classes.put(rest.substring(0, rest.length() - suffix.length()), c);
                }
            }
        }
        List<Entry> mine = new ArrayList<>();
        for (BackupObject b : list(keys.backupPrefix())) {
            if (b.environment().equals(keys.environment())) {
                mine.add(new Entry(b, classes.getOrDefault(b.filename(), BackupClass.SCHEDULED),
                        classes.containsKey(b.filename())));
            }
        }
        return mine;
    }

    /**
     * The backup before {@code filename} of the same class, in a listing of this environment ({@link #listMine}, newest
     * first): what a new backup's size is compared with. None when it is the first of its class, or not listed.
     */
    public static Optional<BackupObject> previousOfClass(List<Entry> mine, String filename) {
        for (int i = 0; i < mine.size(); i++) {
            if (mine.get(i).backup().filename().equals(filename)) {
                BackupClass wanted = mine.get(i).backupClass();
                return mine.subList(i + 1, mine.size()).stream().filter(e -> e.backupClass() == wanted)
                        .map(Entry::backup).findFirst();
            }
        }
        return Optional.empty();
    }

    public Optional<BackupObject> find(String filename) {
        Optional<BackupName> name = BackupName.parse(keys.app(), filename);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        return store.head(filename).map(h -> new BackupObject(name.get(), h.lastModified(), h.size(), h.eTag()));
    }

    /** The manifest the backup's own environment wrote for it, if any. */
    public Optional<Manifest> manifest(BackupObject backup) {
        StateKeys source = keys.of(backup.environment());
        for (BackupClass c : BackupClass.values()) {
            Optional<Manifest> m = records.read(source.manifest(backup.filename(), c), Manifest.class);
            if (m.isPresent()) {
                return m.filter(found -> backup.filename().equals(found.filename()));
            }
        }
        return Optional.empty();
    }

    public void writeManifest(Manifest manifest) {
        records.writeSealed(keys.manifest(manifest.filename(), manifest.backupClass()), manifest);
    }

    /**
     * Writes what a restore and a drill read about a new backup: its row counts (when counted) and its roles in
     * objects of their own, then its manifest naming them; returns the manifest written. {@code roles} writes the roles'
     * object and says what it wrote (null: none), on a thread of its own while the row counts are written (neither
     * needs the other; each is a round trip to S3). Whatever either throws, both have ended when this returns or throws.
     */
    public Manifest writeRecords(Manifest manifest, Map<String, Long> rowCounts, Supplier<RoleGlobals> roles) {
        Beside<RoleGlobals> writingRoles = Beside.start("roles-object", roles);
        Manifest counted;
        try {
            counted = putRowCounts(manifest, rowCounts);
        } catch (RuntimeException e) {
            try {
                writingRoles.result(); // waits for it
            } catch (RuntimeException rolesToo) {
                e.addSuppressed(rolesToo);
            }
            throw e;
        } finally {
            writingRoles.settle();
        }
        Manifest written = counted.withGlobals(writingRoles.result());
        writeManifest(written);
        return written;
    }

    private Manifest putRowCounts(Manifest manifest, Map<String, Long> rowCounts) {
        if (rowCounts == null) {
            return manifest;
        }
        RowCounts.Encoded counts = RowCounts.encode(rowCounts);
        store.putSealed(keys.rowCounts(manifest.filename()), counts.bytes());
        return manifest.withRowCountsObject(counts.tables(), counts.sha256());
    }

    /**
     * The row counts the backup recorded, read as a restore drill reads them: from its manifest (before 2026-12) or
     * their own object, which must hold what the manifest says; empty when it did not count.
     */
    public Optional<Map<String, Long>> rowCounts(BackupObject backup, Manifest manifest) {
        if (manifest.rowCounts() != null) {
            return Optional.of(manifest.rowCounts());
        }
        if (manifest.countedTables() == null) {
            return Optional.empty();
        }
        String key = keys.of(backup.environment()).rowCounts(backup.filename());
        ObjectStore.Stored stored = store.get(key, RowCounts.MAX_BYTES)
                .orElseThrow(() -> dev.pgbackup.common.failure.Failure
                        .server("The row counts " + key + " that the manifest of " + backup.filename()
                                + " names are missing"));
        return Optional.of(RowCounts.decode(key, stored.bytes(), manifest.countedTables(), manifest.rowCountsSha256()));
    }

    /**
     * The roles object the backup recorded, as stored (client-side encrypted when the archive is), checked against
     * the size and SHA-256 its manifest records; empty for a backup without one (before 2026-12).
     */
    public Optional<byte[]> globals(BackupObject backup, Manifest manifest) {
        RoleGlobals recorded = manifest.globals();
        if (recorded == null) {
            return Optional.empty();
        }
        String key = keys.of(backup.environment()).globals(backup.filename());
        int max = RoleGlobals.MAX_BYTES + 64 * 1024;
        byte[] bytes = store.get(key, max).orElseThrow(() -> dev.pgbackup.common.failure.Failure.server("The roles "
                + key + " that the manifest of " + backup.filename() + " names are missing")).bytes();
        String sha256 = dev.pgbackup.common.Hashes.hex(dev.pgbackup.common.Hashes.sha256(bytes));
        if (bytes.length != recorded.bytes() || !recorded.sha256().equals(sha256)) {
            throw dev.pgbackup.common.failure.Failure.server("The roles " + key + " of " + backup.filename()
                    + " do not match the size and checksum recorded when they were written");
        }
        return Optional.of(bytes);
    }

    /**
     * Reads a new backup back as a restore and a drill will (the object, its manifest, its row counts) and checks it
     * is what was written: a backup is reported only once this holds. Throws what a restore would meet.
     */
    public void verifyReadable(Manifest written) {
        BackupObject backup = find(written.filename()).orElseThrow(() -> dev.pgbackup.common.failure.Failure.server(
                "the archive " + written.filename() + " is not in the bucket"));
        if (backup.size() != written.bytes()) {
            throw dev.pgbackup.common.failure.Failure.server("the archive has " + backup.size() + " bytes, not the "
                    + written.bytes() + " uploaded");
        }
        // The objects the manifest names are read beside it, as named in what was written: the manifest must read
        // back equal to that, so they are what a restore reading the manifest first would read. Three round trips
        // to S3 at once instead of one after another.
        Beside<Optional<Map<String, Long>>> counts = Beside.start("read-back-counts", () -> rowCounts(backup, written));
        Beside<Optional<byte[]>> roles = Beside.start("read-back-roles", () -> globals(backup, written));
        Optional<Manifest> read;
        try {
            read = manifest(backup);
        } finally {
            counts.settle();
            roles.settle();
        }
        if (read.isEmpty()) {
            throw dev.pgbackup.common.failure.Failure.server("its manifest is not in the bucket");
        }
        if (!read.get().equals(written)) {
            throw dev.pgbackup.common.failure.Failure.server("its manifest reads back differently from what was "
                    + "written");
        }
        counts.result();
        roles.result();
    }

    /** Removes a backup that is not one (its records could not be read back): the archive and what was written. */
    public void discard(String filename, BackupClass backupClass) {
        store.deleteAll(List.of(filename, keys.manifest(filename, backupClass), keys.rowCounts(filename),
                keys.globals(filename)));
    }

    /** Deletes these backups of this environment, their manifests, row counts and roles (absent ones are no error). */
    public void delete(List<Entry> doomed) {
        List<String> objects = new ArrayList<>();
        for (Entry e : doomed) {
            objects.add(e.backup().filename());
            if (e.hasManifest()) {
                objects.add(keys.manifest(e.backup().filename(), e.backupClass()));
                objects.add(keys.rowCounts(e.backup().filename()));
                objects.add(keys.globals(e.backup().filename()));
            }
        }
        store.deleteAll(objects);
    }
}
