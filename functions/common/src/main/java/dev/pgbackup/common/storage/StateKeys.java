package dev.pgbackup.common.storage;

import dev.pgbackup.common.config.Config;

/**
 * Where one environment keeps its state in the shared bucket. Every key is under
 * {@code pgbackup/<kind>/<app>-<environment>/}, and IAM lets a stack write only its own: another
 * environment cannot plant a job record, a claim, a lock, a completion record or a manifest here.
 * The kind comes first so that one lifecycle rule per kind (job records expire) covers every environment.
 */
public record StateKeys(String app, String environment) {
    public static final String ROOT = "pgbackup/";

    public static StateKeys of(Config config) {
        return new StateKeys(config.appName(), config.environment());
    }

    /** {@code <app>-<environment>}: unambiguous because neither name may contain '-'. */
    String scope() {
        return app + "-" + environment;
    }

    public String job(String jobId) {
        return ROOT + "jobs/" + scope() + "/" + jobId + ".json";
    }

    /** A worker's claim on a job: a duplicate asynchronous delivery finds it and does nothing. */
    public String claim(String jobId) {
        return ROOT + "claims/" + scope() + "/" + jobId;
    }

    public String restoreLock() {
        return ROOT + "locks/" + scope() + "/restore.lock";
    }

    public String backupLock() {
        return ROOT + "locks/" + scope() + "/backup.lock";
    }

    /** One restore drill of this environment at a time (apart from restores: a drill never touches the target). */
    public String drillLock() {
        return ROOT + "locks/" + scope() + "/drill.lock";
    }

    /** When this environment's newest backup completed (and started), as its backup worker recorded it. */
    public String lastBackup() {
        return ROOT + "state/" + scope() + "/last-backup.json";
    }

    /** When a restore last changed this environment's database. */
    public String lastRestore() {
        return ROOT + "state/" + scope() + "/last-restore.json";
    }

    /** This environment's newest successful restore drill (what the drill watch compares with its limit). */
    public String lastDrill() {
        return ROOT + "state/" + scope() + "/last-drill.json";
    }

    /** A swap in progress: the names it renames, so a worker killed between the renames can be repaired. */
    public String swapJournal() {
        return ROOT + "state/" + scope() + "/swap.json";
    }

    /**
     * The databases this stack created on its server and has not dropped (restores being built, kept pre-restore
     * copies, drill scratch databases): the only databases it ever drops, and only while name and OID still match.
     */
    public String createdDatabases() {
        return ROOT + "state/" + scope() + "/databases.json";
    }

    public String manifestPrefix() {
        return ROOT + "manifests/" + scope() + "/";
    }

    public String manifest(String filename, BackupClass backupClass) {
        return manifestPrefix() + filename + "." + backupClass.key + ".json";
    }

    /** A backup's row counts ({@link RowCounts}), beside its manifest (the same IAM prefix, the same key policy). */
    public String rowCounts(String filename) {
        return manifestPrefix() + filename + ".counts.json.gz";
    }

    /**
     * A backup's roles ({@code pg_dumpall --globals-only --no-role-passwords}), beside its manifest: the same IAM
     * prefix, written and encrypted as its archive is.
     */
    public String globals(String filename) {
        return manifestPrefix() + filename + ".globals.sql";
    }

    /** The backups of this environment at the bucket root, where the previous implementation wrote them. */
    String backupPrefix() {
        return app + "-" + environment + "-on-";
    }

    /** The keys of another environment of the same app (to read its manifests, never to write). */
    public StateKeys of(String otherEnvironment) {
        return new StateKeys(app, otherEnvironment);
    }
}
