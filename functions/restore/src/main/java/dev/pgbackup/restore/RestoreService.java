package dev.pgbackup.restore;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.db.DatabaseLogin;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.failure.Verdict;
import dev.pgbackup.common.db.ToolErrors;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.ProgressReporter;
import dev.pgbackup.common.jobs.Timings;
import java.util.Map;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.StateKeys;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One restore of the environment's own database (from configuration, never from the request) from a backup
 * of any allowed environment, in named steps: find the backup, check the archive, open the server, repair
 * what an interrupted restore left, then hand the server to one {@link RestoreStrategy}: {@link SwapRestore} (the
 * default), {@link InPlaceRestore} (by configuration: the previous implementation's drop-and-recreate, after reading
 * the whole archive first) or {@link CopyRestore} (a restore beside the environment's database). Failures are mapped
 * here, whichever strategy ran.
 */
public final class RestoreService {
    /** What a finished restore reports. */
    public record Outcome(String filename, long bytes, Config.RestoreMode mode, String database,
            String preRestoreCopy, boolean preRestoreCopyKept, String pgRestoreVersion,
            String dumpedFrom, long pgRestoreMillis, boolean checksumVerified, int jobs,
            List<String> notes, Map<String, Long> timings, String leftOut, int credentialRereads,
            List<String> droppedCopies, String copy, List<String> tables, String sanitized,
            List<String> rolesCreated) {
        /** Whether the restore wrote a new database beside the environment's ({@code copy}) instead of replacing it. */
        public boolean beside() {
            return copy != null;
        }

        public String details() {
            StringBuilder d = new StringBuilder()
                    .append("mode ").append(copy != null ? "copy" : mode.name().toLowerCase().replace('_', '-'))
                    .append(copy != null ? "; new database '" + copy + "' beside '" + database + "'"
                            : "; database '" + database + "'");
            if (tables != null) {
                d.append("; tables ").append(String.join(", ", tables));
            }
            if (sanitized != null) {
                d.append("; sanitised by ").append(sanitized);
            }
            d.append("; pg_restore ").append(pgRestoreVersion)
                    .append(jobs > 1 ? " with " + jobs + " jobs from a downloaded copy" : " streamed from S3")
                    .append(" in ").append(pgRestoreMillis).append(" ms")
                    .append(checksumVerified ? "; checksum verified" : "; no checksum recorded (backup predates them)");
            if (dumpedFrom != null) {
                d.append("; archive dumped from PostgreSQL ").append(dumpedFrom);
            }
            if (preRestoreCopy != null) {
                d.append(preRestoreCopyKept ? "; previous database kept as '" + preRestoreCopy + "'"
                        : "; previous database dropped");
            }
            for (String note : notes) {
                d.append("; ").append(note);
            }
            if (leftOut != null) {
                d.append("; ").append(leftOut);
            }
            return d.toString();
        }
    }

    /** One restore's inputs, decided before any database is touched. */
    record Plan(String jobId, BackupObject backup, Optional<Manifest> manifest, DatabaseLogin login,
            DatabaseNames names,
            ArchiveReads reads, List<String> secrets, ProgressReporter progress, Timings timings,
            RestoreRequest request, Optional<Sanitizer.Script> script, List<String> notes,
            List<String> rolesCreated) {
        String target() {
            return names.target();
        }
    }

    /**
     * The archive as checked, the pg_restore chosen for it and for the server, and the entries a table-only restore
     * chose from it (empty: all of them).
     */
    record Archive(ArchiveReads.Checked checked, PgTools.Installation pgRestore,
            Optional<TableSelection.Chosen> chosen) {}

    private final Config config;
    private final ObjectStore objects;
    private final ArchiveStorage archives;
    private final BackupCatalog catalog;
    private final StateKeys keys;
    /** The tools ArchiveReads runs; the restore's own use of pg_restore goes through {@link #server}. */
    private final PgTools pgTools;
    private final RestoreServer server;
    private final Supplier<DatabaseLogin> logins;
    private final Clock clock;
    private final Supplier<dev.pgbackup.common.storage.ArchiveCipher> cipher;
    private final Sanitizer sanitizer;
    private final CopyExpiry copies;
    private final RoleRestore roles;
    private final KeptCopies kept;
    private final RestoreStrategy swapRestore;
    private final RestoreStrategy copyRestore;
    private final RestoreStrategy inPlaceRestore;

    /**
     * {@code scratch}: where a parallel restore downloads the archive (the worker's ephemeral storage);
     * {@code cipher}: decrypts archives the workers encrypted (whatever this stack's own CLIENT_SIDE_ENCRYPTION).
     */
    public RestoreService(Config config, ObjectStore objects, ArchiveStorage archives, BackupCatalog catalog,
            StateKeys keys, PgTools pgTools, Supplier<DatabaseLogin> logins, java.nio.file.Path scratch,
            Clock clock, Supplier<dev.pgbackup.common.storage.ArchiveCipher> cipher,
            FreeStorage freeStorage, dev.pgbackup.common.auth.SecretSource secrets,
            dev.pgbackup.common.audit.AuditLog audit) {
        this(config, objects, archives, catalog, keys, pgTools, logins, scratch, clock, cipher, freeStorage, secrets,
                audit,
                new PostgresRestoreServer(pgTools, new Sanitizer(config.refresh(), secrets, objects,
                        config.environment()), scratch));
    }

    /** As above, with the server (and the pg_restore that writes to it) given: the seam the unit tests use. */
    RestoreService(Config config, ObjectStore objects, ArchiveStorage archives, BackupCatalog catalog,
            StateKeys keys, PgTools pgTools, Supplier<DatabaseLogin> logins, java.nio.file.Path scratch,
            Clock clock, Supplier<dev.pgbackup.common.storage.ArchiveCipher> cipher,
            FreeStorage freeStorage, dev.pgbackup.common.auth.SecretSource secrets,
            dev.pgbackup.common.audit.AuditLog audit, RestoreServer server) {
        this.sanitizer = new Sanitizer(config.refresh(), secrets, objects, config.environment());
        this.copies = new CopyExpiry(objects, keys, clock, config.copies(), audit);
        this.cipher = cipher;
        this.roles = new RoleRestore(catalog, cipher, config.appName());
        this.config = config;
        this.objects = objects;
        this.archives = archives;
        this.catalog = catalog;
        this.keys = keys;
        this.pgTools = pgTools;
        this.server = server;
        this.logins = logins;
        this.clock = clock;
        this.kept = new KeptCopies(new CreatedDatabases(objects, keys, clock), config.preRestoreCopiesToKeep());
        Fill fill = new Fill(server, scratch, config.restoreJobs());
        ServerRoom room = new ServerRoom(freeStorage, config.serverSpace().marginPercent());
        this.swapRestore = new SwapRestore(fill, kept, room, objects, keys, clock);
        this.copyRestore = new CopyRestore(fill, kept, room, copies, config.copies().expiry(), clock);
        this.inPlaceRestore = new InPlaceRestore(catalog, fill, server);
    }

    public Outcome run(String jobId, String filename, Deadline deadline) {
        return run(jobId, filename, RestoreRequest.REPLACE, deadline, ProgressReporter.none());
    }

    public Outcome run(String jobId, String filename, Deadline deadline, ProgressReporter progress) {
        return run(jobId, filename, RestoreRequest.REPLACE, deadline, progress);
    }

    /** Restores {@code filename} as {@code request} says: over the environment's database, or beside it. */
    public Outcome run(String jobId, String filename, RestoreRequest request, Deadline deadline,
            ProgressReporter progress) {
        Timings timings = new Timings();
        Plan plan = timings.time("plan", () -> plan(jobId, filename, request, progress, timings));
        boolean inPlace = !request.copy() && config.restoreMode() == Config.RestoreMode.IN_PLACE;
        progress.phase("checking the archive", plan.backup().size());
        Optional<TableSelection.Chosen> selection = Optional.empty();
        ArchiveReads.Checked checked;
        if (request.tables() != null) {
            TableSelection.Parser contents = new TableSelection.Parser();
            checked = timings.time("check", () -> server.listWithDependencies(plan, deadline, contents));
            selection = Optional.of(choose(plan, contents.parsed()));
        } else {
            checked = timings.time("check", () -> server.check(plan, inPlace, deadline));
        }
        try (AdminOps admin = timings.time("connect", () -> openAdmin(plan))) {
            Archive archive = new Archive(checked, chooseRestoreTool(checked, admin.serverMajor(), plan.target()),
                    selection);
            List<String> notes = plan.notes();
            notes.addAll(timings.time("roles", () -> roles.apply(plan, request.roles(), admin.serverMajor())));
            notes.addAll(new SwapProtocol(admin, objects, keys, clock).repair());
            kept.dropLeftovers(admin, plan.target(), notes);
            copies.dropExpired(admin, jobId, notes);
            RestoreStrategy strategy = request.copy() ? copyRestore
                    : inPlace ? inPlaceRestore : swapRestore;
            return outcome(plan, archive, strategy.run(admin, plan, archive, deadline, notes), notes);
        } catch (RestoreFailure f) {
            throw f.withRolesCreated(plan.rolesCreated());
        } catch (SQLException e) {
            throw RestoreFailure.failed(plan.target(), sqlMessage(e, plan))
                    .withRolesCreated(plan.rolesCreated());
        } catch (DatabaseLogin.Refused refused) {
            // refused at the admin connection or at a streamed pg_restore into the new database, which is dropped
            throw RestoreFailure.failed(plan.target(), refused.clause(), refused.diagnostic())
                    .withRolesCreated(plan.rolesCreated());
        }
    }

    /** The entries a table-only restore restores; names the backup lacks refuse it before anything is created. */
    private static TableSelection.Chosen choose(Plan plan, TableSelection contents) {
        try {
            return contents.choose(plan.request().tables());
        } catch (TableSelection.Refused refused) {
            throw RestoreFailure.notInBackup(plan.target(), refused.getMessage() + " (backup "
                    + plan.backup().filename() + "); nothing was created");
        }
    }

    private static String sqlMessage(SQLException e, Plan plan) {
        return Redactor.scrub(String.valueOf(e.getMessage()).replaceAll("\\s+", " "), plan.secrets());
    }

    private AdminOps openAdmin(Plan plan) {
        try {
            return server.open(plan);
        } catch (SQLException e) {
            throw RestoreFailure.failed(plan.target(), "cannot connect to the database: "
                    + ToolErrors.meaning("the database", sqlMessage(e, plan)), sqlMessage(e, plan));
        }
    }

    private Plan plan(String jobId, String filename, RestoreRequest request, ProgressReporter progress,
            Timings timings) {
        objects.checkBucket();
        BackupObject backup = catalog.find(filename)
                .orElseThrow(() -> Failure.notFound("Backup file not found: " + filename));
        DatabaseLogin login = logins.get();
        DatabaseNames names = new DatabaseNames(login.connection().database());
        Optional<Manifest> manifest = manifest(backup, names.target());
        if (manifest.isPresent() && manifest.get().bytes() != backup.size()) {
            throw RestoreFailure.failed(names.target(), "backup file " + filename + " has "
                    + backup.size() + " bytes but " + manifest.get().bytes() + " were recorded when it was written");
        }
        List<String> secrets = login.secrets();
        ArchiveSource source = new ArchiveSource(archives, backup, manifest, config.appName(), cipher, names.target());
        ArchiveReads reads = new ArchiveReads(pgTools, archives, backup, manifest, names.target(), jobId, secrets,
                source).withOwnership(request.roles().ownership());
        // read before anything is touched: a script that cannot be read refuses the restore with nothing changed
        List<String> notes = new ArrayList<>();
        Optional<Sanitizer.Script> script = sanitizer.scriptFor(backup, names.target(), notes);
        return new Plan(jobId, backup, manifest, login, names, reads, secrets, progress, timings, request, script,
                notes, new ArrayList<>());
    }

    /** The backup's manifest; one this stack may not decrypt (SSE-KMS under its environment's key) is refused here. */
    private Optional<Manifest> manifest(BackupObject backup, String target) {
        try {
            return catalog.manifest(backup);
        } catch (RuntimeException e) {
            if (dev.pgbackup.common.storage.KmsRefusal.in(e)) {
                throw RestoreFailure.unchanged(target, dev.pgbackup.common.storage.KmsRefusal.restoreMessage(
                        backup.filename(), backup.environment()), String.valueOf(e.getMessage()));
            }
            throw e;
        }
    }

    /** A pg_restore that reads the archive and can restore into this server, or a refusal before anything changes. */
    private PgTools.Installation chooseRestoreTool(ArchiveReads.Checked checked, int serverMajor, String target) {
        try {
            return server.pgRestoreFor(checked, serverMajor);
        } catch (Failure f) {
            throw RestoreFailure.unchanged(target, Verdict.RESTORE_REFUSED, f.getMessage());
        }
    }

    private Outcome outcome(Plan plan, Archive archive, RestoreStrategy.Done done, List<String> notes) {
        boolean verified = plan.manifest().map(m -> m.sha256() != null).orElse(false);
        return new Outcome(plan.backup().filename(), plan.backup().size(), config.restoreMode(), plan.target(),
                done.preRestoreCopy(), done.preRestoreCopyKept(), archive.pgRestore().version(),
                archive.checked().dumpedFrom(), done.pgRestoreMillis(), verified, done.jobs(), notes,
                plan.timings().ordered(), plan.manifest().flatMap(Manifest::leftOut).orElse(null),
                plan.login().rereads(), done.droppedCopies(), done.copy(), done.tables(),
                plan.script().map(Sanitizer.Script::describe).orElse(null), List.copyOf(plan.rolesCreated()));
    }
}
