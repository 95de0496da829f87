package dev.pgbackup.restore.drill;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.db.ToolErrors;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.ProgressReporter;
import dev.pgbackup.common.jobs.Timings;
import dev.pgbackup.common.storage.ArchiveCipher;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.KmsRefusal;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.restore.AdminSession;
import dev.pgbackup.restore.ArchiveReads;
import dev.pgbackup.restore.ArchiveSource;
import dev.pgbackup.restore.CopyExpiry;
import dev.pgbackup.restore.CreatedDatabases;
import dev.pgbackup.restore.DatabaseNames;
import dev.pgbackup.restore.FreeStorage;
import dev.pgbackup.restore.RestoreTarget;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One restore drill: the backup's archive checked and restored (the restore's own {@link ArchiveReads}: pinned
 * to the object's version, every byte against the manifest's SHA-256) into a new scratch database
 * {@code <db>_drill_<ts>}, which {@link ScratchChecks} then checks, and which is dropped whatever happened.
 * It creates and drops only that database: the environment's database is neither written, renamed nor are its
 * sessions ended, even when the scratch database lives on the same server.
 */
public final class DrillService {
    /** Where the scratch database is made, and how a message names that server. */
    public record Server(DbConnection db, String label) {}

    /** A drill that passed. */
    public record Outcome(String filename, long bytes, String server, String scratch, int tables, Integer counted,
            String pgRestoreVersion, boolean checksumVerified, long millis, List<String> notes,
            Map<String, Long> timings) {
        public String message() {
            return "Restore drill passed: restored " + filename + " into a scratch database on " + server + ": "
                    + tables + " tables, " + (counted == null ? "row counts not recorded by this backup"
                            : "row counts equal")
                    + ", " + DrillRules.seconds(millis) + "; dropped";
        }

        public String details() {
            StringBuilder d = new StringBuilder("scratch database '").append(scratch).append("'; pg_restore ")
                    .append(pgRestoreVersion).append(checksumVerified ? "; checksum verified"
                            : "; no checksum recorded (backup predates them)");
            if (counted != null) {
                d.append("; rows of ").append(counted).append(" tables compared");
            }
            notes.forEach(n -> d.append("; ").append(n));
            return d.toString();
        }
    }

    /** What is known once the archive has been read, before any database is touched. */
    private record Plan(BackupObject backup, Optional<Manifest> manifest, Map<String, Long> rowCounts, Server server,
            ArchiveReads reads, ArchiveReads.Listing listing, List<String> secrets) {}

    /** The label of the environment's own server (the other is a verification server the operator names). */
    static final String ENVIRONMENT_SERVER = "the environment's server";

    private final ObjectStore objects;
    private final ArchiveStorage archives;
    private final BackupCatalog catalog;
    private final PgTools pgTools;
    private final Supplier<Server> servers;
    private final Duration staleAfter;
    private final Clock clock;
    private final String app;
    private final Supplier<ArchiveCipher> cipher;
    private final CreatedDatabases created;
    private final FreeStorage freeStorage;
    private final int marginPercent;
    private final CopyExpiry copies;

    /**
     * @param staleAfter  when a drill that has not finished is dead (its lock's staleness)
     * @param cipher      decrypts archives the workers encrypted, as a restore does
     * @param freeStorage the free space of the environment's server (a drill there builds a whole copy next to it)
     * @param copies      the restores made beside the environment's database: expired ones are dropped first
     */
    DrillService(ObjectStore objects, ArchiveStorage archives, BackupCatalog catalog, PgTools pgTools,
            Supplier<Server> servers, Duration staleAfter, Clock clock, String app,
            Supplier<ArchiveCipher> cipher, dev.pgbackup.common.storage.StateKeys keys,
            FreeStorage freeStorage, int marginPercent, CopyExpiry copies) {
        this.copies = copies;
        this.created = new CreatedDatabases(objects, keys, clock);
        this.freeStorage = freeStorage;
        this.marginPercent = marginPercent;
        this.app = app;
        this.cipher = cipher;
        this.objects = objects;
        this.archives = archives;
        this.catalog = catalog;
        this.pgTools = pgTools;
        this.servers = servers;
        this.staleAfter = staleAfter;
        this.clock = clock;
    }

    public Outcome run(String jobId, BackupObject backup, Deadline deadline, ProgressReporter progress) {
        long started = System.nanoTime();
        Timings timings = new Timings();
        Plan plan = plan(jobId, backup, deadline, progress, timings);
        List<String> notes = new ArrayList<>();
        AdminSession admin = timings.time("connect", () -> connect(plan));
        try (admin) {
            PgTools.Installation pgRestore = chooseRestoreTool(plan, admin.serverMajor());
            DatabaseNames names = new DatabaseNames(plan.server().db().database());
            String where = plan.server().label() + "/" + names.target();
            dropAbandoned(admin, where, notes);
            if (plan.server().label().equals(ENVIRONMENT_SERVER)) {
                copies.dropExpired(admin, jobId, notes); // they are on this server: its disk is the drill's too
            }
            checkSpace(plan, notes);
            String scratch = names.drill(clock.instant(), admin.databaseNames()::contains);
            timings.time("create", () -> create(admin, plan, scratch));
            CreatedDatabases.Entry entry = created.add(scratch, admin.oid(scratch).orElseThrow(),
                    CreatedDatabases.Kind.DRILL, where, jobId);
            ScratchChecks.Verified verified = restoreCheckAndDrop(admin, plan, pgRestore, entry, deadline, progress,
                    timings);
            return new Outcome(backup.filename(), backup.size(), plan.server().label(), scratch, verified.tables(),
                    verified.counted(), pgRestore.version(), plan.manifest().map(m -> m.sha256() != null).orElse(false),
                    (System.nanoTime() - started) / 1_000_000, notes, timings.ordered());
        } catch (SQLException e) {
            throw DrillFailure.before(backup.filename(), "the database server refused: " + admin.message(e), null);
        }
    }

    /** The manifest, the server and the archive's table of contents: a failure here touches no database. */
    private Plan plan(String jobId, BackupObject backup, Deadline deadline, ProgressReporter progress,
            Timings timings) {
        try {
            objects.checkBucket();
            Optional<Manifest> manifest = timings.time("manifest", () -> manifest(backup));
            if (manifest.isPresent() && manifest.get().bytes() != backup.size()) {
                throw Failure.server("the backup has " + backup.size() + " bytes but " + manifest.get().bytes()
                        + " were recorded when it was written");
            }
            // the counts are read before any database is touched: missing or damaged ones fail the drill here
            Map<String, Long> rowCounts = manifest.isEmpty() ? null : timings.time("counts",
                    () -> catalog.rowCounts(backup, manifest.get()).orElse(null));
            Server server = timings.time("secrets", servers);
            List<String> secrets = server.db().password() == null ? List.of() : List.of(server.db().password());
            ArchiveSource source = new ArchiveSource(archives, backup, manifest, app, cipher,
                    RestoreTarget.SCRATCH);
            ArchiveReads reads = new ArchiveReads(pgTools, archives, backup, manifest, RestoreTarget.SCRATCH, jobId,
                    secrets, source);
            progress.phase("checking the archive", backup.size());
            ArchiveReads.Listing listing = timings.time("check", () -> reads.list(pgTools.newestPgRestore(), deadline));
            return new Plan(backup, manifest, rowCounts, server, reads, listing, secrets);
        } catch (Failure f) {
            throw DrillFailure.before(backup.filename(), DrillFailure.reasonOf(f), f.diagnostic());
        }
    }

    /** The backup's manifest; one this stack may not decrypt (SSE-KMS under another key's policy) is refused. */
    private Optional<Manifest> manifest(BackupObject backup) {
        try {
            return catalog.manifest(backup);
        } catch (RuntimeException e) {
            if (KmsRefusal.in(e)) {
                throw Failure.server(KmsRefusal.restoreMessage(backup.filename(), backup.environment()),
                        String.valueOf(e.getMessage()));
            }
            throw e;
        }
    }

    private static AdminSession connect(Plan plan) {
        try {
            return AdminSession.open(plan.server().db(), plan.secrets());
        } catch (SQLException e) {
            String detail = Redactor.scrub(String.valueOf(e.getMessage()).replaceAll("\\s+", " "), plan.secrets());
            throw DrillFailure.before(plan.backup().filename(), "cannot connect to " + plan.server().label() + ": "
                    + ToolErrors.meaning("the database", detail), detail);
        }
    }

    private PgTools.Installation chooseRestoreTool(Plan plan, int serverMajor) {
        ArchiveReads.Checked checked = plan.listing().checked();
        try {
            return pgTools.pgRestoreFor(checked.dumpedByMajor(), checked.dumpedBy(), serverMajor);
        } catch (Failure f) {
            throw DrillFailure.before(plan.backup().filename(), "refused: " + f.getMessage(), null);
        }
    }

    /**
     * Scratch databases of drills that died before their drop: only those this stack's journal holds for this server
     * and database, under their name and OID, and never one a running drill may still use.
     */
    private void dropAbandoned(AdminSession admin, String where, List<String> notes) throws SQLException {
        Map<String, CreatedDatabases.Entry> byName = new java.util.HashMap<>();
        Map<String, java.time.Instant> made = new java.util.TreeMap<>();
        for (CreatedDatabases.Entry e : created.of(CreatedDatabases.Kind.DRILL, where)) {
            byName.put(e.name(), e);
            made.put(e.name(), e.createdAt());
        }
        for (String name : DrillRules.abandoned(made, clock.instant(), staleAfter)) {
            created.drop(admin, byName.get(name)).ifPresent(d -> notes.add(d.dropped()
                    ? d.note() + " left by an earlier drill that did not finish" : d.note()));
        }
    }

    /** Room for the scratch database, on the environment's own server (a verification server is the operator's). */
    private void checkSpace(Plan plan, List<String> notes) {
        if (!plan.server().label().equals(ENVIRONMENT_SERVER)) {
            notes.add("free space not checked: the drill runs on " + plan.server().label());
            return;
        }
        Long needed = plan.manifest().map(Manifest::databaseBytes).orElse(null);
        FreeStorage.refusal(freeStorage.read(), needed, marginPercent, notes).ifPresent(why -> {
            throw DrillFailure.before(plan.backup().filename(), "refused: " + why, null);
        });
    }

    /** In the encoding and locale of the database the URL names, so the restore sees what it would there. */
    private static void create(AdminSession admin, Plan plan, String scratch) {
        try {
            admin.createDatabase(scratch, admin.facts(plan.server().db().database()));
        } catch (SQLException e) {
            throw DrillFailure.before(plan.backup().filename(), "the scratch database could not be created: "
                    + admin.message(e), null);
        }
    }

    /** Restores into the scratch database and checks it; drops it in every case, then passes or fails. */
    private ScratchChecks.Verified restoreCheckAndDrop(AdminSession admin, Plan plan, PgTools.Installation pgRestore,
            CreatedDatabases.Entry entry, Deadline deadline,
            ProgressReporter progress, Timings timings) {
        String scratch = entry.name();
        ScratchChecks.Result result = null;
        String notDropped = null;
        try {
            result = restoreAndCheck(plan, pgRestore, scratch, deadline, progress, timings);
        } finally {
            progress.phase("dropping the scratch database", null);
            long dropStart = System.nanoTime();
            try {
                admin.dropDatabase(scratch);
                created.remove(entry.name(), entry.oid());
            } catch (SQLException e) {
                notDropped = admin.message(e);
            } catch (RuntimeException e) {
                // dropped, but still in the journal: the next drill finds the name gone and forgets it
            }
            timings.add("drop", (System.nanoTime() - dropStart) / 1_000_000);
        }
        String file = plan.backup().filename();
        if (result.failure() != null) {
            throw DrillFailure.after(file, result.failure(), result.diagnostic(), scratch, notDropped);
        }
        if (notDropped != null) {
            throw DrillFailure.notDropped(file, scratch, notDropped);
        }
        return result.verified().orElseThrow();
    }

    private ScratchChecks.Result restoreAndCheck(Plan plan, PgTools.Installation pgRestore, String scratch,
            Deadline deadline, ProgressReporter progress, Timings timings) {
        try {
            timings.time("pg_restore", () -> plan.reads().restoreInto(pgRestore, plan.server().db(), scratch, deadline,
                    progress));
            progress.phase("checking the restored database", null);
            Map<String, Long> recorded = plan.rowCounts();
            List<String> toc = plan.listing().tables();
            long start = System.nanoTime();
            ScratchChecks.Result result = ScratchChecks.verify(plan.server().db().withDatabase(scratch), toc, recorded,
                    deadline);
            timings.add("verify", (System.nanoTime() - start) / 1_000_000);
            return result;
        } catch (Failure f) {
            return ScratchChecks.Result.failed(DrillFailure.reasonOf(f), f.diagnostic());
        } catch (SQLException e) {
            String detail = Redactor.scrub(String.valueOf(e.getMessage()).replaceAll("\\s+", " "), plan.secrets());
            return ScratchChecks.Result.failed("the restored database could not be checked: " + detail);
        } catch (RuntimeException e) {
            // still a drill that failed, and its scratch database is still dropped
            return ScratchChecks.Result.failed("an unexpected " + e.getClass().getSimpleName() + " stopped it",
                    Redactor.scrub(String.valueOf(e.getMessage()), plan.secrets()));
        }
    }
}
