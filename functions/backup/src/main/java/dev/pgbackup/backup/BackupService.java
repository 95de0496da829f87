package dev.pgbackup.backup;

import static dev.pgbackup.common.failure.Verdict.BACKUP_FAILED;

import dev.pgbackup.common.Beside;
import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.config.BackupWindow;
import dev.pgbackup.common.config.Compression;
import dev.pgbackup.common.config.DumpScope;
import dev.pgbackup.common.db.DatabaseLogin;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.db.RunningTool;
import dev.pgbackup.common.db.ToolErrors;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.ProgressReporter;
import dev.pgbackup.common.jobs.Timings;
import dev.pgbackup.common.storage.ReportingStream;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.pgbackup.common.retention.RetentionPolicy;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.LastBackup;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.RowCounts;
import dev.pgbackup.common.storage.StateKeys;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One backup: checks, the server's roles ({@link RoleCapture}), {@code pg_dump -Fc} streamed into a multipart
 * upload, then the roles beside it, its manifest, the completion record and retention. The backup object exists
 * only if pg_dump exited 0 and the upload completed; otherwise nothing is left behind.
 */
public class BackupService {
    /** The backup to make: its job, its name (of this environment) and its retention class. */
    public record Request(String jobId, String filename, BackupClass backupClass) {}

    /**
     * What a finished backup reports; {@code deleted} are the old backups retention removed. {@code rowsCounted} (null
     * when counting was off or gave up) and {@code previousBytes} (the newest older backup of the same class in this
     * environment, null when none or when the listing failed) are for the job's metrics.
     */
    public record Outcome(String filename, long bytes, String sha256, String pgDumpVersion, String compression,
            List<String> deleted, List<String> notes, Map<String, Long> timings, DumpScope scope,
            int credentialRereads, String encryption, long databaseBytes, Long rowsCounted,
            Long previousBytes) {}

    private static final Pattern DUMPING = Pattern.compile("dumping contents of table \"?([^\"]+)\"?");

    /** Counting rows may take at most this fraction (1/n) of the time left when it starts. */
    static final int COUNT_SHARE = 10;

    private final ObjectStore objects;
    private final ArchiveStorage archives;
    private final BackupCatalog catalog;
    private final Records records;
    private final StateKeys keys;
    private final PgTools pgTools;
    private final Supplier<DatabaseLogin> logins;
    private final RecordStep recording;
    private final RetentionStep retention;
    private final Compression compression;
    private final DumpScope scope;
    private final BackupWindow window;
    private final boolean recordRowCounts;
    private final Clock clock;
    private final BackupEncryption encryption;
    private final java.time.Duration lockWait;

    public BackupService(ObjectStore objects, ArchiveStorage archives, BackupCatalog catalog, StateKeys keys,
            PgTools pgTools, Supplier<DatabaseLogin> logins, RetentionPolicy retention,
            Compression compression, DumpScope scope, BackupWindow window, boolean recordRowCounts,
            Clock clock, BackupEncryption encryption, java.time.Duration lockWait) {
        this.encryption = encryption;
        this.lockWait = lockWait;
        this.objects = objects;
        this.archives = archives;
        this.catalog = catalog;
        this.records = new Records(objects);
        this.keys = keys;
        this.pgTools = pgTools;
        this.logins = logins;
        this.recording = new RecordStep(catalog, archives, encryption, keys);
        this.retention = new RetentionStep(catalog, retention, clock);
        this.compression = compression;
        this.scope = scope;
        this.window = window;
        this.recordRowCounts = recordRowCounts;
        this.clock = clock;
    }

    public Outcome run(Request request, Deadline deadline) {
        return run(request, deadline, ProgressReporter.none());
    }

    public Outcome run(Request request, Deadline deadline, ProgressReporter progress) {
        Timings timings = new Timings();
        timings.time("bucket", objects::checkBucket);
        DatabaseLogin login = logins.get();
        timings.time("secrets", login::connection);
        List<String> secrets = login.secrets();
        // the last backup's size (for progress) is read from the bucket while the server is inspected
        Beside<Long> lastSize = Beside.start("last-size", this::previousSize);
        ServerFacts server;
        try {
            server = timings.time("inspect", () -> inspect(login, secrets));
        } finally {
            timings.time("previous", lastSize::settle);
        }
        window.check(keys.environment(), server.databaseBytes(), "pg_database_size");
        if (!scope.includesAnyOf(server.schemas())) {
            throw Failure.server(BACKUP_FAILED, "no schema of the database matches BACKUP_INCLUDE_SCHEMAS ("
                    + String.join(", ", scope.includeSchemas()) + "); no backup was written");
        }
        List<String> scopeArgs = scope.pgDumpArguments(server.schemas());
        PgTools.Installation pgDump = timings.time("tools", () -> pgTools.pgDumpFor(server.major(), compression));
        boolean exists = timings.time("name", () -> catalog.find(request.filename()).isPresent());
        if (exists) {
            throw Failure.conflict(BackupName.alreadyExists(request.filename()));
        }
        Prepared ready = prepare(login, pgDump, deadline, secrets, timings);
        RoleCapture.Captured roles = ready.roles();
        Long expected = lastSize.result();
        Instant started = clock.instant();
        List<String> notes = new ArrayList<>();
        ArchiveStorage.Uploaded uploaded;
        Map<String, Long> rowCounts;
        try (SnapshotCounts counts = ready.counts()) {
            List<String> dumpArgs = new ArrayList<>(scopeArgs);
            dumpArgs.addAll(counts.pgDumpArguments());
            progress.phase("dumping and uploading", expected);
            uploaded = timings.time("dump", () -> dump(login, request, pgDump, dumpArgs, deadline, secrets, progress,
                    expected, notes));
            // the counting ran beside the dump; what it takes beyond it is the backup's counting time
            rowCounts = timings.time("count", counts::counts);
            notes.addAll(0, countingNotes(counts, rowCounts));
        }
        // the archive is whole; it is a backup once what a restore and a drill read about it reads back as written
        Instant completed = clock.instant();
        Manifest manifest = manifest(request, started, completed, uploaded, pgDump, server);
        progress.phase("recording and retention", null);
        timings.time("record", () -> recording.run(request, manifest, rowCounts, roles, deadline, secrets));
        // from here on the backup is restorable: what follows must not turn it into a failure
        timings.time("state", () -> attempt(notes, "completion record not written: a restore will ask for a new "
                + "backup",
                () -> records.write(keys.lastBackup(), new LastBackup(request.filename(), request.jobId(),
                        started, completed, uploaded.bytes(), server.databaseBytes()))));
        RetentionStep.Retained retained = timings.time("retention", () -> retention.run(request.filename(), notes));
        return new Outcome(request.filename(), uploaded.bytes(), uploaded.sha256(), pgDump.version(),
                compression.toString(), retained.deleted(), notes, timings.ordered(), scope, login.rereads(),
                encryption.describe(), server.databaseBytes(), total(rowCounts), retained.previousBytes());
    }

    /** Why there are no row counts, or how many tables were counted (known once {@code counts} has ended). */
    private static List<String> countingNotes(SnapshotCounts counts, Map<String, Long> rowCounts) {
        List<String> counted = new ArrayList<>();
        counts.note().ifPresent(counted::add);
        if (rowCounts != null) {
            counted.add("rows of " + rowCounts.size() + " tables counted in the dump's snapshot");
        }
        return counted;
    }

    /** What the dump needs decided first: the roles and the counting snapshot. */
    private record Prepared(RoleCapture.Captured roles, SnapshotCounts counts) {}

    /**
     * The roles in memory, captured while the tables are listed and locked for counting, but awaited before the
     * dump starts: pg_dumpall failing fails the backup before anything is written (were they captured beside the
     * dump, a failure would be known only once the archive is complete in the bucket). The counting transaction is
     * opened first, alone: a password rotated since the job's first connection is read again there, before anything
     * runs beside it. "roles" times the wait beyond the counting's start.
     */
    private Prepared prepare(DatabaseLogin login, PgTools.Installation pgDump, Deadline deadline, List<String> secrets,
            Timings timings) {
        SnapshotCounts.Opening opening = recordRowCounts ? timings.time("count", () -> SnapshotCounts.open(login,
                secrets)) : null;
        Beside<RoleCapture.Captured> capturing = Beside.start("role-capture",
                () -> captureRoles(login, pgDump, deadline, secrets));
        SnapshotCounts counts;
        try {
            counts = timings.time("count", () -> countRows(opening, deadline, secrets));
        } finally {
            timings.time("roles", capturing::settle);
        }
        try {
            return new Prepared(capturing.result(), counts);
        } catch (RuntimeException e) {
            counts.close();
            throw e;
        }
    }

    private Manifest manifest(Request request, Instant started, Instant completed, ArchiveStorage.Uploaded uploaded,
            PgTools.Installation pgDump, ServerFacts server) {
        return new Manifest(request.filename(), keys.environment(), request.backupClass(), request.jobId(), started,
                completed, uploaded.bytes(), uploaded.sha256(), pgDump.version(), server.version(),
                compression.toString(), null)
                .withScope(scope.everything() ? null : scope)
                .withEncryption(encryption.manifestEncryption(), encryption.kmsKeyId())
                .withDatabaseBytes(server.databaseBytes());
    }

    private RoleCapture.Captured captureRoles(DatabaseLogin login, PgTools.Installation pgDump, Deadline deadline,
            List<String> secrets) {
        try {
            return login.attemptTool(db -> RoleCapture.take(pgTools, pgDump, db, deadline, secrets));
        } catch (DatabaseLogin.Refused refused) {
            throw failure(refused);
        }
    }

    /** The last backup's size: what this one will roughly be, for the progress percentage. */
    private Long previousSize() {
        try {
            return records.read(keys.lastBackup(), LastBackup.class).map(LastBackup::bytes).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void attempt(List<String> notes, String whatIfNot, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            notes.add(whatIfNot + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /**
     * pg_dump into the upload; a password rotated between the first connection and pg_dump's start makes pg_dump
     * fail before writing anything (its upload aborted), and it runs once more with the secret read again.
     */
    private ArchiveStorage.Uploaded dump(DatabaseLogin login, Request request, PgTools.Installation pgDump,
            List<String> dumpArgs, Deadline deadline, List<String> secrets,
            ProgressReporter progress, Long expected, List<String> warnings) {
        try {
            return login.attemptTool(db -> dumpAndUpload(request, db, pgDump, dumpArgs, deadline, secrets, progress,
                    expected, warnings));
        } catch (DatabaseLogin.Refused refused) {
            throw failure(refused);
        }
    }

    /**
     * The rows of every dumped table, in the snapshot pg_dump will dump ({@code opening}; null when counting is off),
     * counted while it dumps: within a tenth of the time left, so counting can never cost the backup its window.
     */
    private static SnapshotCounts countRows(SnapshotCounts.Opening opening, Deadline deadline, List<String> secrets) {
        if (opening == null) {
            return SnapshotCounts.off();
        }
        return SnapshotCounts.start(opening, RowCounts.MAX_TABLES, deadline.remaining().dividedBy(COUNT_SHARE),
                secrets);
    }

    private ArchiveStorage.Uploaded dumpAndUpload(Request request, DbConnection db, PgTools.Installation pgDump,
            List<String> dumpArgs, Deadline deadline, List<String> secrets,
            ProgressReporter progress, Long expected, List<String> warnings) {
        RunningTool dump;
        AtomicReference<String> table = new AtomicReference<>();
        try {
            List<String> args = new ArrayList<>(List.of("--format=custom", compression.pgDumpArgument(pgDump.major()),
                    "--no-password", "--lock-wait-timeout=" + lockWait.toMillis(), "--verbose"));
            args.addAll(dumpArgs);
            dump = pgTools.start(pgDump, "pg_dump", args, db, line -> {
                Matcher m = DUMPING.matcher(line);
                if (m.find()) {
                    table.set(m.group(1));
                }
            });
        } catch (IOException e) {
            throw Failure.server(PgTools.PG_DUMP_MISSING);
        }
        try (dump) {
            dump.stdin().close();
            InputStream body = encryption.wrap(new ReportingStream(new PgDumpStream(dump, secrets),
                    n -> progress.bytes(n, expected, table.get())), request.filename());
            ArchiveStorage.Uploaded done = archives.upload(request.filename(), body, deadline, dump::destroy);
            // pg_dump exited 0: its warnings are what it left out without failing (subscriptions, for one)
            dump.warnings().forEach(w -> warnings.add("pg_dump warned: " + Redactor.scrub(w, secrets)));
            return done;
        } catch (PgDumpStream.DumpFailed e) {
            throw Failure.server(BACKUP_FAILED, e.getMessage() + ": " + ToolErrors.meaning("pg_dump", e.stderr)
                    + " (no backup was written; details in job " + request.jobId() + ")", e.stderr);
        } catch (IOException e) {
            throw Failure.server(BACKUP_FAILED, Redactor.scrub(e.getMessage(), secrets)
                    + " (no backup was written)");
        }
    }

    /** The server's version and the database's size; the first connection of the job, re-read once if refused. */
    private ServerFacts inspect(DatabaseLogin login, List<String> secrets) {
        try {
            return login.attempt(ServerFacts::read);
        } catch (DatabaseLogin.Refused refused) {
            throw failure(refused);
        } catch (SQLException e) {
            String detail = Redactor.scrub(String.valueOf(e.getMessage()), secrets);
            throw Failure.server("Cannot connect to the database: " + ToolErrors.meaning("the database", detail),
                    detail);
        }
    }

    /** The credentials were refused again after the source was read again: the backup fails in those words. */
    private static Failure failure(DatabaseLogin.Refused refused) {
        return Failure.server(BACKUP_FAILED, refused.clause() + "; no backup was written", refused.diagnostic());
    }

    private static Long total(Map<String, Long> rowCounts) {
        return rowCounts == null ? null : rowCounts.values().stream().mapToLong(Long::longValue).sum();
    }
}
