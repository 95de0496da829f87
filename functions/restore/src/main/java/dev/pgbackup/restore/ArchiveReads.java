package dev.pgbackup.restore;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.db.ToolErrors;
import dev.pgbackup.common.jobs.Deadline;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.Manifest;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two ways a restore reads an archive with pg_restore, both pinned to the checked version of the object:
 * a check before any database is touched, and the restore itself into a database. Failures say what they
 * mean; the tools' stderr stays in the diagnostic.
 */
final class ArchiveReads {
    private static final Pattern DUMPED_FROM = Pattern.compile("(?m)^;\\s+Dumped from database version: (\\S+)");
    private static final Pattern DUMPED_BY = Pattern.compile("(?m)^;\\s+Dumped by pg_dump version: (\\S+)");

    /** What the check learnt: the server and pg_dump versions in the header, the time it took, the checksum. */
    record Checked(String dumpedFrom, String dumpedBy, long millis, String sha256) {
        /** The major of the pg_dump that wrote the archive (0 when the header does not say). */
        int dumpedByMajor() {
            return major(dumpedBy);
        }

        static int major(String version) {
            if (version == null) {
                return 0;
            }
            Matcher m = Pattern.compile("^(\\d+)").matcher(version);
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        }
    }

    private final PgTools tools;
    private final ArchiveStorage archives;
    private final BackupObject backup;
    private final Optional<Manifest> manifest;
    private final String target;
    private final String jobId;
    private final List<String> secrets;

    ArchiveReads(PgTools tools, ArchiveStorage archives, BackupObject backup, Optional<Manifest> manifest,
                 String target, String jobId, List<String> secrets) {
        this.tools = tools;
        this.archives = archives;
        this.backup = backup;
        this.manifest = manifest;
        this.target = target;
        this.jobId = jobId;
        this.secrets = secrets;
    }

    /**
     * Reads the archive before any database is touched: its header and table of contents ({@code --list})
     * when the restore itself is the full check (swap mode: a failure costs nothing), or every byte
     * ({@code --file=/dev/null}, checksum verified) when the target is dropped next (in-place mode).
     */
    Checked check(PgTools.Installation pgRestore, boolean wholeFile, Deadline deadline) {
        List<String> args = wholeFile ? List.of("--file=/dev/null") : List.of("--list");
        ArchiveFeed.Result r = ArchiveFeed.run(tools, pgRestore, args, null, this::open, deadline, 64 * 1024, wholeFile);
        if (r.timedOut()) {
            throw RestoreFailure.unchanged(target, "Restore failed: reading backup file " + backup.filename()
                    + " did not finish before the worker's time limit");
        }
        if (!r.ok()) {
            throw RestoreFailure.unchanged(target, "Backup file " + backup.filename() + " cannot be read by pg_restore "
                    + pgRestore.version() + ": " + meaning(r) + " (details in job " + jobId + ")", diagnostic(r));
        }
        if (wholeFile) {
            verifyChecksum(r);
        }
        return new Checked(group(DUMPED_FROM, r.stdoutHead()), group(DUMPED_BY, r.stdoutHead()), r.millis(),
                wholeFile ? r.sha256() : null);
    }

    /** Streams the archive into pg_restore connected to {@code database}; returns pg_restore's time. */
    long restoreInto(PgTools.Installation pgRestore, DbConnection db, String database, Deadline deadline) {
        List<String> args = List.of("--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                "--no-password", "--dbname=" + DatabaseNames.conninfoDbname(database));
        ArchiveFeed.Result r = ArchiveFeed.run(tools, pgRestore, args, db.withDatabase(database), this::open, deadline,
                16 * 1024, true);
        if (r.timedOut()) {
            throw RestoreFailure.unchanged(target, "Restore failed: pg_restore did not finish before the worker's "
                    + "time limit and was stopped");
        }
        if (!r.ok()) {
            // an S3 failure is the cause: pg_restore then fails on the short input it was given
            String exit = r.readError() == null && r.exitCode() > 0 ? "pg_restore exited with code " + r.exitCode() + ": " : "";
            throw RestoreFailure.unchanged(target, "Restore failed: " + exit + meaning(r) + " (details in job " + jobId
                    + ")", diagnostic(r));
        }
        verifyChecksum(r);
        return r.millis();
    }

    private ArchiveStorage.Reading open() {
        return archives.open(backup.filename(), backup.eTag());
    }

    /** Every byte fed must hash to what the backup worker recorded; a backup without a manifest predates checksums. */
    private void verifyChecksum(ArchiveFeed.Result r) {
        if (manifest.isEmpty() || manifest.get().sha256() == null) {
            return;
        }
        if (r.sha256() == null || !r.sha256().equals(manifest.get().sha256()) || r.bytesFed() != manifest.get().bytes()) {
            throw RestoreFailure.unchanged(target, "Restore failed: backup file " + backup.filename()
                    + " does not match the checksum recorded when it was written (SHA-256 " + manifest.get().sha256()
                    + ", " + manifest.get().bytes() + " bytes); it was changed or damaged in storage");
        }
    }

    private String meaning(ArchiveFeed.Result r) {
        if (r.readError() != null) {
            return "reading the backup from S3 failed";
        }
        if (r.exitCode() == 0 && r.incomplete()) {
            return "pg_restore ended after " + r.bytesFed() + " of the backup's " + r.expectedBytes() + " bytes";
        }
        return ToolErrors.meaning("pg_restore", r.stderrTail());
    }

    private String diagnostic(ArchiveFeed.Result r) {
        String tail = Redactor.scrub(r.stderrTail(), secrets);
        String d = tail.length() > 2000 ? tail.substring(tail.length() - 2000) : tail;
        return r.readError() == null ? d : d + " (S3: " + Redactor.scrub(r.readError(), secrets) + ")";
    }

    private static String group(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? m.group(1) : null;
    }
}
