package dev.pgbackup.common.storage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The backups in the bucket: whole objects named by {@link BackupName} at the bucket root (where the
 * previous implementation wrote them, so its backups stay listed and restorable), and their manifests.
 */
public final class BackupCatalog {
    /** A backup of this environment with its class (scheduled when no manifest says otherwise). */
    public record Entry(BackupObject backup, BackupClass backupClass, boolean hasManifest) {
    }

    private final ObjectStore store;
    private final Records records;
    private final StateKeys keys;

    public BackupCatalog(ObjectStore store, StateKeys keys) {
        this.store = store;
        this.records = new Records(store);
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
        backups.sort(Comparator.comparing(BackupObject::lastModified).thenComparing(BackupObject::filename).reversed());
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

    /** Deletes these backups of this environment and their manifests. */
    public void delete(List<Entry> doomed) {
        List<String> objects = new ArrayList<>();
        for (Entry e : doomed) {
            objects.add(e.backup().filename());
            if (e.hasManifest()) {
                objects.add(keys.manifest(e.backup().filename(), e.backupClass()));
            }
        }
        store.deleteAll(objects);
    }
}
