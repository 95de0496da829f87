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
 * what an interrupted restore left, then the swap or the in-place mode.
 *
 * <p>Swap mode (default): restored into a new database; only when pg_restore exited 0 and every byte matched
 * the recorded checksum does {@link SwapProtocol} put it in the target's place. Any failure before the swap
 * drops the new database and leaves the target as it was. In-place mode ({@link InPlaceRestore}): the
 * previous implementation's drop-and-recreate, after reading the whole archive first.
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
    record Plan(String jobId, BackupObject backup, Optional<Manifest> manifest, DatabaseLogin login, DatabaseNames names,
                ArchiveReads reads, List<String> secrets, ProgressReporter progress, Timings timings,
                RestoreRequest request, Optional<Sanitizer.Script> script, List<String> notes,
                List<String> rolesCreated) {
        String target() {
            return names.target();
        }
    }

    /** The archive as checked, and the pg_restore chosen for it and for the server. */
    record Archive(ArchiveReads.Checked checked, PgTools.Installation pgRestore) {
    }

    private final Config config;
    private final ObjectStore objects;
    private final ArchiveStorage archives;
    private final BackupCatalog catalog;
    private final StateKeys keys;
    private final PgTools pgTools;
    private final Supplier<DatabaseLogin> logins;
    private final java.nio.file.Path scratch;
    private final Clock clock;
    private final Supplier<dev.pgbackup.common.storage.ArchiveCipher> cipher;
    private final CreatedDatabases created;
    private final FreeStorage freeStorage;
    private final Sanitizer sanitizer;
    private final CopyExpiry copies;
    private final RoleRestore roles;

    /**
     * {@code scratch}: where a parallel restore downloads the archive (the worker's ephemeral storage);
     * {@code cipher}: decrypts archives the workers encrypted (whatever this stack's own CLIENT_SIDE_ENCRYPTION).
     */
    public RestoreService(Config config, ObjectStore objects, ArchiveStorage archives, BackupCatalog catalog,
                          StateKeys keys, PgTools pgTools, Supplier<DatabaseLogin> logins, java.nio.file.Path scratch,
                          Clock clock, Supplier<dev.pgbackup.common.storage.ArchiveCipher> cipher,
                          FreeStorage freeStorage, dev.pgbackup.common.auth.SecretSource secrets,
                          dev.pgbackup.common.audit.AuditLog audit) {
        this.sanitizer = new Sanitizer(config.refresh(), secrets, objects, config.environment());
        this.copies = new CopyExpiry(objects, keys, clock, config.copies(), audit);
        this.cipher = cipher;
        this.roles = new RoleRestore(catalog, cipher, config.appName());
        this.freeStorage = freeStorage;
        this.created = new CreatedDatabases(objects, keys, clock);
        this.config = config;
        this.objects = objects;
        this.archives = archives;
        this.catalog = catalog;
        this.keys = keys;
        this.pgTools = pgTools;
        this.logins = logins;
        this.scratch = scratch;
        this.clock = clock;
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
            checked = timings.time("check", () -> plan.reads().listWithDependencies(pgTools.newestPgRestore(),
                    deadline, contents));
            selection = Optional.of(choose(plan, contents.parsed()));
        } else {
            checked = timings.time("check", () -> plan.reads().check(pgTools.newestPgRestore(), inPlace, deadline));
        }
        try (AdminSession admin = timings.time("connect", () -> openAdmin(plan))) {
            Archive archive = new Archive(checked, chooseRestoreTool(checked, admin.serverMajor(), plan.target()));
            List<String> notes = plan.notes();
            notes.addAll(timings.time("roles", () -> roles.apply(plan, request.roles(), admin.serverMajor())));
            notes.addAll(new SwapProtocol(admin, objects, keys, clock).repair());
            dropLeftovers(admin, plan.target(), notes);
            copies.dropExpired(admin, jobId, notes);
            if (request.copy()) {
                return copy(admin, plan, archive, selection, deadline, notes);
            }
            if (inPlace) {
                long start = System.nanoTime();
                long millis = new InPlaceRestore(admin, plan, catalog).run(archive.pgRestore(), checked.millis(),
                        deadline);
                timings.add("pg_restore", (System.nanoTime() - start) / 1_000_000);
                analyze(plan, plan.target(), deadline, notes);
                return outcome(plan, archive, millis, null, false, 1, notes, List.of(), null, null);
            }
            return swap(admin, plan, archive, deadline, notes);
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

    private static AdminSession openAdmin(Plan plan) {
        try {
            // the job's first connection: refused, the source is read again once (a rotated password)
            return plan.login().attempt(db -> AdminSession.open(db, plan.secrets()));
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
            return pgTools.pgRestoreFor(checked.dumpedByMajor(), checked.dumpedBy(), serverMajor);
        } catch (Failure f) {
            throw RestoreFailure.unchanged(target, Verdict.RESTORE_REFUSED, f.getMessage());
        }
    }

    private Outcome swap(AdminSession admin, Plan plan, Archive archive, Deadline deadline, List<String> notes)
            throws SQLException {
        String target = plan.target();
        Optional<AdminSession.DatabaseFacts> facts = admin.facts(target);
        checkSpace(plan, notes);
        String fresh = plan.names().restoring(clock.instant(), admin.databaseNames()::contains);
        admin.createDatabase(fresh, facts);
        CreatedDatabases.Entry building = created.add(fresh, admin.oid(fresh).orElseThrow(),
                CreatedDatabases.Kind.RESTORING, target, plan.jobId());
        CreatedDatabases.Entry copy = null;
        boolean swapped = false;
        long millis;
        int jobs = parallelJobs(plan, archive.checked(), notes);
        try {
            millis = fill(plan, archive, fresh, Optional.empty(), jobs, deadline, notes);
            // the swap's retries stop at the deadline; starting it with less left could end them before the
            // sessions are gone, for nothing (the restored copy is dropped either way)
            if (deadline.remaining().compareTo(SwapProtocol.MIN_TIME) < 0) {
                throw RestoreFailure.failed(target, "less than " + SwapProtocol.MIN_TIME.toSeconds() + " s were left "
                        + "before the worker's time limit to swap the databases (the restored copy is dropped)");
            }
            facts.ifPresent(f -> copyOwner(admin, fresh, f, notes));
            if (facts.isPresent()) {
                // what was set on the target itself is in no dump: it goes with the name, not with the copy
                notes.addAll(admin.carrySettings(target, fresh));
            }
            if (facts.isPresent()) {
                // journalled before the rename: the entry names the target's OID under the copy's name, which exists
                // only once the rename has happened, so an entry of a swap that never got there matches nothing
                copy = created.add(plan.names().preRestore(clock.instant(), admin.databaseNames()::contains),
                        admin.oid(target).orElseThrow(), CreatedDatabases.Kind.PRE_RESTORE, target, plan.jobId());
            }
            plan.progress().phase("swapping", null);
            long swapStart = System.nanoTime();
            new SwapProtocol(admin, objects, keys, clock).swap(plan.jobId(), fresh, target,
                    copy == null ? null : copy.name(), facts.isPresent(), deadline, notes);
            plan.timings().add("swap", (System.nanoTime() - swapStart) / 1_000_000);
            swapped = true;
        } finally {
            if (!swapped) {
                forgetAfterFailure(admin, building, copy, notes);
            }
        }
        attempt(notes, "the journal still names the restored database under its former name", () -> created.remove(
                building.name(), building.oid()));
        List<String> dropped = copy == null ? List.of() : boundCopies(admin, target, copy.name(), notes);
        boolean kept = copy != null && !dropped.contains(copy.name());
        return outcome(plan, archive, millis, copy == null ? null : copy.name(), kept, jobs, notes, dropped, null, null);
    }

    /**
     * A restore beside the environment's database: a new database {@code <db>_copy_<ts>}, filled, sanitised and analysed
     * exactly as a swap restore fills the one it swaps in, then kept under its own name (the environment's database is
     * not touched: not renamed, not locked, none of its sessions ended). Journalled as a copy, which expires.
     */
    private Outcome copy(AdminSession admin, Plan plan, Archive archive, Optional<TableSelection.Chosen> selection,
                         Deadline deadline, List<String> notes) throws SQLException {
        String target = plan.target();
        Optional<AdminSession.DatabaseFacts> facts = admin.facts(target);
        copies.makeRoom(admin, plan.jobId(), notes);
        checkSpace(plan, notes);
        String name = plan.names().copy(clock.instant(), admin.databaseNames()::contains);
        admin.createDatabase(name, facts);
        // journalled as being built until it is whole: a killed worker's half-made copy is dropped as a leftover
        CreatedDatabases.Entry building = created.add(name, admin.oid(name).orElseThrow(),
                CreatedDatabases.Kind.RESTORING, target, plan.jobId());
        boolean done = false;
        long millis;
        int jobs = parallelJobs(plan, archive.checked(), notes);
        try {
            millis = fill(plan, archive, name, selection, jobs, deadline, notes);
            facts.ifPresent(f -> copyOwner(admin, name, f, notes));
            created.add(name, building.oid(), CreatedDatabases.Kind.COPY, target, plan.jobId());
            done = true;
        } finally {
            if (!done) {
                forgetAfterFailure(admin, building, null, notes);
            }
        }
        notes.add("the copy is dropped after " + config.copies().expiry().toHours() + " h (RestoreCopyExpiryHours)");
        return outcome(plan, archive, millis, null, false, jobs, notes, List.of(), name,
                selection.map(TableSelection.Chosen::tables).orElse(null));
    }

    /**
     * Fills a new database from the archive (all of it, or the entries a table-only restore chose), then runs the
     * sanitising script in it and gathers its statistics: everything that happens before anyone can use it. Returns
     * pg_restore's time.
     */
    private long fill(Plan plan, Archive archive, String database, Optional<TableSelection.Chosen> selection, int jobs,
                      Deadline deadline, List<String> notes) throws SQLException {
        java.nio.file.Path useList = selection.isEmpty() ? null : writeUseList(plan, selection.get());
        long millis;
        try {
            millis = jobs > 1
                    ? plan.reads().restoreFromFile(archive.pgRestore(), plan.login().connection(), database, scratch,
                            useList, jobs, archive.checked().entries(), deadline, plan.progress(), plan.timings())
                    : plan.timings().time("pg_restore", () -> plan.login().attemptTool(db -> plan.reads()
                            .restoreInto(archive.pgRestore(), db, database, useList, deadline, plan.progress())));
        } finally {
            deleteQuietly(useList);
        }
        if (plan.script().isPresent()) {
            Sanitizer.Script script = plan.script().get();
            plan.progress().phase("sanitising", null);
            long start = System.nanoTime();
            plan.login().attempt(db -> {
                sanitizer.run(db.withDatabase(database), script, deadline, plan.target(), selection.isPresent());
                return null;
            });
            plan.timings().add("sanitize", (System.nanoTime() - start) / 1_000_000);
        }
        analyze(plan, database, deadline, notes);
        return millis;
    }

    /** Planner statistics for the restored database, timed as "analyze". */
    private static void analyze(Plan plan, String database, Deadline deadline, List<String> notes) throws SQLException {
        plan.progress().phase("gathering statistics", null);
        long start = System.nanoTime();
        plan.login().attempt(db -> {
            Statistics.analyze(db.withDatabase(database), deadline, notes);
            return null;
        });
        plan.timings().add("analyze", (System.nanoTime() - start) / 1_000_000);
    }

    private java.nio.file.Path writeUseList(Plan plan, TableSelection.Chosen chosen) {
        try {
            java.nio.file.Path file = java.nio.file.Files.createTempFile(scratch, "restore-" + plan.jobId() + "-",
                    ".list");
            java.nio.file.Files.writeString(file, chosen.useList());
            return file;
        } catch (java.io.IOException e) {
            throw RestoreFailure.failed(plan.target(), "the list of entries to restore could not "
                    + "be written to the worker's disk (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static void deleteQuietly(java.nio.file.Path file) {
        if (file != null) {
            try {
                java.nio.file.Files.deleteIfExists(file);
            } catch (java.io.IOException ignored) {
                // /tmp is the worker's own
            }
        }
    }

    /**
     * The restore failed: its half-built database is dropped, and neither it nor the copy's entry stays in the journal.
     * If the original is under the copy's name (a swap whose renames both failed), it is not in the journal either, so
     * nothing but the swap journal's repair ever touches it.
     */
    private void forgetAfterFailure(AdminSession admin, CreatedDatabases.Entry building, CreatedDatabases.Entry copy,
                                    List<String> notes) {
        Optional<String> notDropped = admin.dropQuietly(building.name());
        notDropped.ifPresent(notes::add);
        if (notDropped.isEmpty()) {
            attempt(notes, "the journal still names the dropped '" + building.name() + "'",
                    () -> created.remove(building.name(), building.oid()));
        }
        if (copy != null) {
            CreatedDatabases.Entry c = copy;
            attempt(notes, "the journal still names '" + c.name() + "'", () -> created.remove(c.name(), c.oid()));
        }
    }

    /**
     * Keeps the newest PreRestoreCopiesToKeep copies of this target that this stack's journal holds (0: none) and
     * drops the others; returns the names dropped. Only after a successful swap, so a failed restore never costs a copy.
     */
    private List<String> boundCopies(AdminSession admin, String target, String made, List<String> notes) {
        List<String> dropped = new ArrayList<>();
        try {
            List<CreatedDatabases.Entry> copies = created.of(CreatedDatabases.Kind.PRE_RESTORE, target);
            int keep = config.preRestoreCopiesToKeep();
            for (CreatedDatabases.Entry old : copies.subList(Math.min(keep, copies.size()), copies.size())) {
                Optional<CreatedDatabases.Dropping> what = created.drop(admin, old);
                if (what.isPresent() && what.get().dropped()) {
                    dropped.add(old.name());
                } else {
                    what.ifPresent(d -> notes.add(d.note() + "; it was kept"));
                }
            }
        } catch (SQLException | RuntimeException e) {
            notes.add("older pre-restore copies were not bounded this time (" + e.getClass().getSimpleName() + ")");
        }
        List<String> older = dropped.stream().filter(n -> !n.equals(made)).toList();
        if (!older.isEmpty()) {
            notes.add("dropped " + older.size() + " older pre-restore cop" + (older.size() == 1 ? "y" : "ies")
                    + " beyond the " + config.preRestoreCopiesToKeep() + " kept: " + String.join(", ", older));
        }
        return dropped;
    }

    /** Room for the new database on the server, before it is created: refused with the numbers when it does not fit. */
    private void checkSpace(Plan plan, List<String> notes) {
        Long needed = plan.manifest().map(Manifest::databaseBytes).orElse(null);
        FreeStorage.refusal(freeStorage.read(), needed, config.serverSpace().marginPercent(), notes)
                .ifPresent(why -> {
                    throw RestoreFailure.refused(plan.target(), why);
                });
    }

    private static void attempt(List<String> notes, String whatIfNot, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            notes.add(whatIfNot + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** pg_restore jobs for this archive, as {@link RestorePlan} chooses them; why goes into the job's details. */
    private int parallelJobs(Plan plan, ArchiveReads.Checked checked, List<String> notes) {
        RestorePlan.Choice choice = RestorePlan.choose(config.restoreJobs(), Runtime.getRuntime().availableProcessors(),
                checked.contents(), plan.backup().size(), plan.reads().encrypted(), RestorePlan.usable(scratch));
        notes.add(choice.reason());
        return choice.jobs();
    }

    private Outcome outcome(Plan plan, Archive archive, long millis, String old, boolean kept, int jobs,
                            List<String> notes, List<String> droppedCopies, String copy, List<String> tables) {
        boolean verified = plan.manifest().map(m -> m.sha256() != null).orElse(false);
        return new Outcome(plan.backup().filename(), plan.backup().size(), config.restoreMode(), plan.target(), old,
                kept, archive.pgRestore().version(), archive.checked().dumpedFrom(), millis, verified, jobs, notes,
                plan.timings().ordered(), plan.manifest().flatMap(Manifest::leftOut).orElse(null),
                plan.login().rereads(), droppedCopies, copy, tables,
                plan.script().map(Sanitizer.Script::describe).orElse(null), List.copyOf(plan.rolesCreated()));
    }

    /** The restored database gets the old one's owner when we may do that; otherwise it stays ours. */
    private static void copyOwner(AdminSession admin, String fresh, AdminSession.DatabaseFacts facts,
                                  List<String> notes) {
        if (facts.owner() == null || facts.owner().equals(admin.currentUser())) {
            return;
        }
        if (!admin.tryExecute("ALTER DATABASE " + AdminSession.q(fresh) + " OWNER TO " + AdminSession.q(facts.owner()))) {
            notes.add("the restored database is owned by '" + admin.currentUser() + "' (could not give it to '"
                    + facts.owner() + "')");
        }
    }

    /**
     * Databases a killed worker left half-built for this target: only those this stack's journal holds, under the
     * name and OID it recorded (the restore lock is ours, so none of them is being built now).
     */
    private void dropLeftovers(AdminSession admin, String target, List<String> notes) throws SQLException {
        for (CreatedDatabases.Entry e : created.of(CreatedDatabases.Kind.RESTORING, target)) {
            created.drop(admin, e).ifPresent(d -> notes.add(d.dropped() ? d.note()
                    + " left by an earlier restore that did not finish" : d.note()));
        }
    }
}
