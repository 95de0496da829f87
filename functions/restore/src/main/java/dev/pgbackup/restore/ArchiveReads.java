package dev.pgbackup.restore;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.db.ToolErrors;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.ProgressReporter;
import dev.pgbackup.common.jobs.Timings;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
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
public final class ArchiveReads {
    private static final Pattern DUMPED_FROM = Pattern.compile("(?m)^;\\s+Dumped from database version: (\\S+)");
    private static final Pattern DUMPED_BY = Pattern.compile("(?m)^;\\s+Dumped by pg_dump version: (\\S+)");
    /** pg_restore --verbose: the data is in, the indexes and constraints are being built. */
    private static final Pattern BUILDING = Pattern.compile("creating (INDEX|CONSTRAINT|FK CONSTRAINT|TRIGGER)");
    private static final Pattern PROCESSING = Pattern.compile("processing data for table \"?([^\"]+)\"?");
    private static final int LIST_HEAD = 256 * 1024;

    /**
     * What the check learnt: the server and pg_dump versions in the header, the time it took, the checksum, and
     * how many entries the table of contents has (0 when it did not say).
     */
    public record Checked(String dumpedFrom, String dumpedBy, long millis, String sha256, int entries,
            TableOfContents.Counts contents) {
        Checked(String dumpedFrom, String dumpedBy, long millis, String sha256, int entries) {
            this(dumpedFrom, dumpedBy, millis, sha256, entries, TableOfContents.Counts.UNKNOWN);
        }

        /** The major of the pg_dump that wrote the archive (0 when the header does not say). */
        public int dumpedByMajor() {
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
    private final RestoreTarget target;
    private final String jobId;
    private final List<String> secrets;
    private final ArchiveSource source;
    /** Owners and grants restored (pg_restore without --no-owner --no-acl): the roles were checked first. */
    private boolean ownership;

    ArchiveReads(PgTools tools, ArchiveStorage archives, BackupObject backup, Optional<Manifest> manifest,
            String target, String jobId, List<String> secrets, ArchiveSource source) {
        this(tools, archives, backup, manifest, RestoreTarget.named(target), jobId, secrets, source);
    }

    public ArchiveReads(PgTools tools, ArchiveStorage archives, BackupObject backup, Optional<Manifest> manifest,
            RestoreTarget target, String jobId, List<String> secrets, ArchiveSource source) {
        this.source = source;
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
        // the list is counted by kind as it streams: what a parallel restore could share among its jobs
        TableOfContents toc = new TableOfContents();
        ArchiveFeed.Result r = ArchiveFeed.run(tools, pgRestore, args, null, this::open, deadline, LIST_HEAD, wholeFile,
                n -> {}, null, wholeFile ? null : toc, false);
        requireRead(r, pgRestore);
        if (wholeFile) {
            verifyChecksum(r);
        }
        return new Checked(group(DUMPED_FROM, r.stdoutHead()), group(DUMPED_BY, r.stdoutHead()), r.millis(),
                wholeFile ? r.sha256() : null, wholeFile ? 0 : toc.counts().entries(), toc.counts());
    }

    /** What a drill keeps of a table of contents: the header's facts and every TABLE entry ("schema name owner"). */
    public record Listing(Checked checked, List<String> tables) {}

    /**
     * The check of a swap-mode restore, reading the whole table of contents as it streams (a drill compares its
     * tables with what it restored): only the TABLE entries are kept, so no schema is too large for it.
     */
    public Listing list(PgTools.Installation pgRestore, Deadline deadline) {
        List<String> tables = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger entries = new java.util.concurrent.atomic.AtomicInteger();
        ArchiveFeed.Result r = ArchiveFeed.run(tools, pgRestore, List.of("--list"), null, this::open, deadline,
                LIST_HEAD, false, n -> {}, null, line -> {
                    if (!line.isBlank() && !line.startsWith(";")) {
                        entries.incrementAndGet();
                    }
                    TableOfContents.tableEntry(line).ifPresent(tables::add);
                }, false);
        requireRead(r, pgRestore);
        String head = r.stdoutHead();
        return new Listing(new Checked(group(DUMPED_FROM, head), group(DUMPED_BY, head), r.millis(), null,
                entries.get()), List.copyOf(tables));
    }

    /**
     * The check of a table-only restore: the whole table of contents with each entry's dependencies (pg_restore
     * --verbose prints them as "; depends on: ..." lines), every line handed to {@code lines} as it streams.
     */
    Checked listWithDependencies(PgTools.Installation pgRestore, Deadline deadline,
            java.util.function.Consumer<String> lines) {
        java.util.concurrent.atomic.AtomicInteger entries = new java.util.concurrent.atomic.AtomicInteger();
        ArchiveFeed.Result r = ArchiveFeed.run(tools, pgRestore, List.of("--list", "--verbose"), null, this::open,
                deadline, LIST_HEAD, false, n -> {}, null, line -> {
                    if (!line.isBlank() && !line.startsWith(";")) {
                        entries.incrementAndGet();
                    }
                    lines.accept(line);
                }, false);
        requireRead(r, pgRestore);
        String head = r.stdoutHead();
        return new Checked(group(DUMPED_FROM, head), group(DUMPED_BY, head), r.millis(), null, entries.get());
    }

    private void requireRead(ArchiveFeed.Result r, PgTools.Installation pgRestore) {
        if (r.timedOut()) {
            throw RestoreFailure.failed(target, "reading backup file " + backup.filename()
                    + " did not finish before the worker's time limit");
        }
        if (!r.ok()) {
            throw RestoreFailure.unchanged(target, "Backup file " + backup.filename() + " cannot be read by pg_restore "
                    + pgRestore.version() + ": " + meaning(r) + " (details in job " + jobId + ")", diagnostic(r));
        }
    }

    /** Restores owners and grants too: the caller made sure the target has the roles they name. */
    ArchiveReads withOwnership(boolean restore) {
        this.ownership = restore;
        return this;
    }

    /** Whether the archive in S3 is the workers' encryption of the dump. */
    boolean encrypted() {
        return source.encrypted();
    }

    /** Streams the archive into pg_restore connected to {@code database}; returns pg_restore's time. */
    public long restoreInto(PgTools.Installation pgRestore, DbConnection db, String database, Deadline deadline,
            ProgressReporter progress) {
        return restoreInto(pgRestore, db, database, null, deadline, progress);
    }

    /** As above, restoring only the entries {@code useList} names (pg_restore --use-list), when not null. */
    long restoreInto(PgTools.Installation pgRestore, DbConnection db, String database, java.nio.file.Path useList,
            Deadline deadline, ProgressReporter progress) {
        List<String> args = restoreArgs("--single-transaction", database, useList);
        progress.phase("restoring data", backup.size());
        AtomicReference<String> table = new AtomicReference<>();
        AtomicBoolean building = new AtomicBoolean();
        ArchiveFeed.Result r = ArchiveFeed.run(tools, pgRestore, args, db.withDatabase(database), this::open, deadline,
                16 * 1024, true, fed -> progress.bytes(fed, backup.size(), table.get()), line -> {
                    Matcher m = PROCESSING.matcher(line);
                    if (m.find()) {
                        table.set(m.group(1));
                    } else if (BUILDING.matcher(line).find() && building.compareAndSet(false, true)) {
                        progress.phase("building indexes", null);
                    }
                }, null, useList != null);
        if (r.timedOut()) {
            throw RestoreFailure.failed(target, "pg_restore did not finish before the worker's "
                    + "time limit and was stopped");
        }
        if (!r.ok()) {
            // an S3 failure is the cause: pg_restore then fails on the short input it was given
            String exit = r.readError() == null && r.exitCode() > 0
                    ? "pg_restore exited with code " + r.exitCode() + ": " : "";
            throw RestoreFailure.failed(target, exit + meaning(r) + " (details in job " + jobId
                    + ")", diagnostic(r));
        }
        verifyChecksum(r);
        return r.millis();
    }

    /**
     * Downloads the archive (parallel part requests) into {@code dir}, checks its size and checksum, and runs
     * {@code pg_restore --jobs} from the file into {@code database} ({@link ParallelRestore}).
     */
    long restoreFromFile(PgTools.Installation pgRestore, DbConnection db, String database, java.nio.file.Path dir,
            int jobs, int entries, Deadline deadline, ProgressReporter progress, Timings timings) {
        return restoreFromFile(pgRestore, db, database, dir, null, jobs, entries, deadline, progress, timings);
    }

    /** As above, restoring only the entries {@code useList} names, when not null. */
    long restoreFromFile(PgTools.Installation pgRestore, DbConnection db, String database, java.nio.file.Path dir,
            java.nio.file.Path useList, int jobs, int entries, Deadline deadline, ProgressReporter progress,
            Timings timings) {
        return new ParallelRestore(tools, archives, source, backup, manifest, target, jobId, secrets).run(pgRestore,
                db, database, restoreArgs("--jobs=" + jobs, database, useList), dir, useList, entries, deadline,
                progress, timings);
    }

    /** pg_restore's options for a restore into {@code database}; {@code how}: in one transaction, or with jobs. */
    private List<String> restoreArgs(String how, String database, java.nio.file.Path useList) {
        List<String> args = new java.util.ArrayList<>(List.of("--no-owner", "--no-acl", "--exit-on-error",
                how, "--no-password", "--verbose", "--dbname=" + DatabaseNames.conninfoDbname(database)));
        args.removeAll(ownership ? List.of("--no-owner", "--no-acl") : List.of());
        if (useList != null) {
            args.add("--use-list=" + useList);
        }
        return args;
    }

    private ArchiveStorage.Reading open() {
        return source.open();
    }

    /**
     * Every byte fed must hash to what the backup worker recorded (for an encrypted archive: every byte of ciphertext
     * read); a backup without a manifest predates checksums.
     */
    private void verifyChecksum(ArchiveFeed.Result r) {
        if (manifest.isEmpty() || manifest.get().sha256() == null) {
            return;
        }
        ArchiveStorage.Uploaded read = source.encrypted() ? source.ciphertextRead().orElse(null)
                : r.sha256() == null ? null : new ArchiveStorage.Uploaded(r.bytesFed(), r.sha256());
        if (read == null || !read.sha256().equals(manifest.get().sha256()) || read.bytes() != manifest.get().bytes()) {
            throw RestoreFailure.failed(target, "backup file " + backup.filename()
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
        return ToolErrors.meaning("pg_restore", r.diagnostic());
    }

    private String diagnostic(ArchiveFeed.Result r) {
        String d = Redactor.scrub(r.diagnostic(), secrets);
        return r.readError() == null ? d : d + " (S3: " + Redactor.scrub(r.readError(), secrets) + ")";
    }

    private static String group(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? m.group(1) : null;
    }
}
