package dev.pgbackup.restore;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.db.RunningTool;
import dev.pgbackup.common.db.ToolErrors;
import dev.pgbackup.common.jobs.ProgressReporter;
import dev.pgbackup.common.jobs.Timings;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.time.Deadline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parallel restore's read of the archive: downloaded (parallel part requests, pinned to the checked version) to the
 * worker's disk, checked for size and checksum, decrypted there when the workers encrypted it, then restored by
 * {@code pg_restore --jobs} from the file. --jobs cannot be combined with --single-transaction: the swap that follows
 * is the all-or-nothing.
 */
final class ParallelRestore {
    private static final Pattern FINISHED_ITEM = Pattern.compile("finished item \\d+ (.*)");

    private final PgTools tools;
    private final ArchiveStorage archives;
    private final ArchiveSource source;
    private final BackupObject backup;
    private final Optional<Manifest> manifest;
    private final RestoreTarget target;
    private final String jobId;
    private final List<String> secrets;

    ParallelRestore(PgTools tools, ArchiveStorage archives, ArchiveSource source, BackupObject backup,
            Optional<Manifest> manifest, RestoreTarget target, String jobId, List<String> secrets) {
        this.tools = tools;
        this.archives = archives;
        this.source = source;
        this.backup = backup;
        this.manifest = manifest;
        this.target = target;
        this.jobId = jobId;
        this.secrets = secrets;
    }

    /**
     * Downloads the archive into {@code dir}, checks it, and runs pg_restore with {@code args} (--jobs among them, and
     * {@code useList} when not null) from the file into {@code database}; the file is gone afterwards, whatever
     * happened. Returns pg_restore's time.
     */
    long run(PgTools.Installation pgRestore, DbConnection db, String database, List<String> args, Path dir,
            Path useList, int entries, Deadline deadline, ProgressReporter progress, Timings timings) {
        Path file = null;
        Path plain = null;
        try {
            file = Files.createTempFile(dir, "restore-" + jobId + "-", ".dump");
            Path local = file;
            progress.phase("downloading", backup.size());
            ArchiveStorage.Uploaded got = timings.time("download", () -> download(local, deadline));
            verifyDownload(got);
            if (source.encrypted()) {
                plain = Files.createTempFile(dir, "restore-" + jobId + "-", ".plain.dump");
                Path decrypted = plain;
                timings.time("decrypt", () -> decryptFile(local, decrypted));
                deleteQuietly(file);
            }
            Path archive = plain != null ? plain : local;
            // after the checksum: the patched file is no longer the object, and need not be
            DataOffsets.Result offsets = timings.time("offsets", () -> writeOffsets(archive));
            ItemProgress items = useList == null ? new ItemProgress(progress, offsets.sections(), entries)
                    : chosen(progress, offsets.sections(), useList, entries);
            return timings.time("pg_restore", () -> runParallel(pgRestore, db, database, args, archive, progress,
                    items, deadline));
        } catch (IOException e) {
            throw RestoreFailure.failed(target, "the backup could not be written to the worker's "
                    + "disk (" + e.getClass().getSimpleName() + ")");
        } finally {
            deleteQuietly(file);
            deleteQuietly(plain);
        }
    }

    /**
     * The progress of a table-only restore: of the entries its use-list names (the worker's own file, written from
     * the table selection moments before). Progress is a courtesy: a list that cannot be read back costs only the
     * percentage's precision, never the restore.
     */
    static ItemProgress chosen(ProgressReporter progress, DataOffsets.Sections sections, Path useList, int entries) {
        try {
            Set<Integer> ids = TableSelection.dumpIds(Files.readAllLines(useList));
            return new ItemProgress(progress, sections.within(ids), ids.size());
        } catch (IOException | RuntimeException e) {
            return new ItemProgress(progress, DataOffsets.Sections.UNKNOWN, entries);
        }
    }

    /**
     * pg_dump wrote the archive to a pipe, without data offsets: filled in, each pg_restore job seeks to its table's
     * data instead of scanning the blocks before it. Only an optimisation: an archive it cannot read is restored as is.
     */
    private static DataOffsets.Result writeOffsets(Path archive) {
        try {
            return DataOffsets.write(archive);
        } catch (IOException e) {
            return DataOffsets.Result.skipped(e.getClass().getSimpleName());
        }
    }

    private void decryptFile(Path encrypted, Path plain) {
        try {
            source.decryptFile(encrypted, plain);
        } catch (IOException e) {
            throw RestoreFailure.failed(target, "the downloaded backup could not be decrypted to the "
                    + "worker's disk (" + e.getClass().getSimpleName() + ")");
        }
    }

    private ArchiveStorage.Uploaded download(Path file, Deadline deadline) {
        try {
            return archives.download(backup.filename(), backup.eTag(), file, deadline);
        } catch (IOException e) {
            throw RestoreFailure.failed(target, "reading the backup from S3 failed (details in job "
                    + jobId + ")", Redactor.scrub(String.valueOf(e.getMessage()), secrets));
        }
    }

    /** The file must be the object that was checked, byte for byte (and the recorded checksum, when there is one). */
    private void verifyDownload(ArchiveStorage.Uploaded got) {
        if (got.bytes() != backup.size()) {
            throw RestoreFailure.failed(target, "the download of " + backup.filename() + " has "
                    + got.bytes() + " bytes, the object " + backup.size());
        }
        if (manifest.isPresent() && manifest.get().sha256() != null && !manifest.get().sha256().equals(got.sha256())) {
            throw RestoreFailure.failed(target, "backup file " + backup.filename()
                    + " does not match the checksum recorded when it was written (SHA-256 " + manifest.get().sha256()
                    + ", " + manifest.get().bytes() + " bytes); it was changed or damaged in storage");
        }
    }

    /**
     * pg_restore in two runs: the schema by one job, then the data, indexes and constraints with --jobs. Run as one,
     * pg_restore --jobs truncates every table it created before loading it (to skip WAL when wal_level is minimal,
     * which RDS never is): new files for each table, created and the old ones deleted, and a statement and a commit
     * more per table, for nothing; a run that did not create the tables does not. Data and post-data stay in one run,
     * so one table's indexes are built while another's data is still loading (after the schema, on a scratch server
     * over loopback: 2,000 small tables in 1.54-1.63 s against 1.75-1.76 s as two runs; nothing was truncated).
     */
    private long runParallel(PgTools.Installation pgRestore, DbConnection db, String database, List<String> options,
            Path file, ProgressReporter progress, ItemProgress items, Deadline deadline) {
        long started = System.nanoTime();
        List<String> oneJob = options.stream().filter(o -> !o.startsWith("--jobs=")).toList();
        progress.phase("restoring the schema", null);
        runPhase(pgRestore, db, database, with(oneJob, List.of("--section=pre-data"), file), line -> {}, deadline);
        progress.phase("restoring data", null);
        runPhase(pgRestore, db, database, with(options, List.of("--section=data", "--section=post-data"), file),
                items, deadline);
        return (System.nanoTime() - started) / 1_000_000;
    }

    /**
     * The data and post-data run's "finished item" lines as the job's progress: a percentage of the entries it runs
     * (when the table of contents could not be read, of every entry, or every entry a table-only restore's use-list
     * names), and "building indexes" once the last TABLE DATA entry it runs finished (indexes of the tables loaded
     * first are built while others load: before that, the phase is still "restoring data").
     */
    static final class ItemProgress implements java.util.function.Consumer<String> {
        private final ProgressReporter progress;
        /** Entries the run reports finished, as far as known (package-private: a test checks it). */
        final int total;
        private final int tableData;
        private int finished;
        private int loaded;

        ItemProgress(ProgressReporter progress, DataOffsets.Sections sections, int entries) {
            this.progress = progress;
            this.total = sections.afterSchema() > 0 ? sections.afterSchema() : entries;
            this.tableData = sections.tableData();
        }

        @Override
        public synchronized void accept(String line) {
            Matcher m = FINISHED_ITEM.matcher(line);
            if (m.find()) {
                progress.items(++finished, total, m.group(1));
                if (m.group(1).startsWith("TABLE DATA ") && ++loaded == tableData) {
                    progress.phase("building indexes", null);
                }
            }
        }
    }

    private static List<String> with(List<String> options, List<String> sections, Path file) {
        List<String> args = new ArrayList<>(options);
        args.addAll(sections);
        args.add(file.toString());
        return args;
    }

    private void runPhase(PgTools.Installation pgRestore, DbConnection db, String database, List<String> args,
            java.util.function.Consumer<String> lines, Deadline deadline) {
        RunningTool tool;
        try {
            tool = tools.start(pgRestore, "pg_restore", args, db.withDatabase(database), lines);
        } catch (IOException e) {
            throw dev.pgbackup.common.failure.Failure.server(PgTools.PG_RESTORE_MISSING);
        }
        try (tool) {
            tool.stdin().close();
            Thread drain = new Thread(() -> {
                try {
                    tool.stdout().transferTo(java.io.OutputStream.nullOutputStream());
                } catch (IOException ignored) {
                    // the tool was stopped
                }
            }, "pg_restore-stdout");
            drain.setDaemon(true);
            drain.start();
            int code = tool.waitFor(deadline.remaining().toMillis(), TimeUnit.MILLISECONDS);
            if (code < 0) {
                tool.destroy();
                throw RestoreFailure.failed(target, "pg_restore did not finish before the worker's "
                        + "time limit and was stopped");
            }
            if (code != 0) {
                String diagnostic = Redactor.scrub(tool.diagnostic(), secrets);
                throw RestoreFailure.failed(target, "pg_restore exited with code " + code + ": "
                        + ToolErrors.meaning("pg_restore", diagnostic) + " (details in job " + jobId + ")", diagnostic);
            }
        } catch (IOException e) {
            throw RestoreFailure.failed(target, "pg_restore's output could not be read");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RestoreFailure.unchanged(target, "Restore interrupted");
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // /tmp is the worker's own; the next invocation's run does not depend on it
            }
        }
    }
}
