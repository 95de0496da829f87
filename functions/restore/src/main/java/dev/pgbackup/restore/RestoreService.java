package dev.pgbackup.restore;

import dev.pgbackup.common.BackupName;
import dev.pgbackup.common.BackupObject;
import dev.pgbackup.common.Config;
import dev.pgbackup.common.DbConnection;
import dev.pgbackup.common.PgTools;
import dev.pgbackup.common.Redactor;
import dev.pgbackup.common.Services;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One restore of the environment's own database (from configuration, never from the request) from a backup
 * of any environment.
 *
 * <p>Swap mode (default): the archive is checked with {@code pg_restore --list}, restored into a new
 * database, and only when pg_restore exited 0 are the names swapped (new connections blocked, other
 * sessions ended, {@code <db>} renamed to {@code <db>_pre_restore_<ts>}, the new one renamed to
 * {@code <db>}). Any failure before the swap drops the new database and leaves the target as it was.
 *
 * <p>In-place mode (the previous implementation's drop-and-recreate, by configuration): the whole archive
 * is read once by pg_restore before the target is dropped, so a corrupt or truncated file is refused while
 * the database is still intact, as is a restore that would not have the time to finish; a failure after the
 * drop leaves an empty database, and its message says so.
 */
public class RestoreService {
    /** A failure with a message safe to show a user (secrets removed). */
    public static final class RestoreFailedException extends RuntimeException {
        public RestoreFailedException(String message) {
            super(message);
        }
    }

    public record Outcome(String filename, long bytes, Config.RestoreMode mode, String database,
                          String preRestoreCopy, boolean preRestoreCopyKept, String pgRestoreVersion,
                          String dumpedFrom, long pgRestoreMillis, List<String> notes) {
        public String details() {
            StringBuilder d = new StringBuilder()
                    .append("mode ").append(mode.name().toLowerCase().replace('_', '-'))
                    .append("; database '").append(database).append("'")
                    .append("; pg_restore ").append(pgRestoreVersion)
                    .append(" in ").append(pgRestoreMillis).append(" ms");
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
            return d.toString();
        }
    }

    static final String MAINTENANCE_DATABASE = "postgres";
    private static final Pattern DUMPED_FROM = Pattern.compile("(?m)^;\\s+Dumped from database version: (\\S+)");
    private static final int RENAME_ATTEMPTS = 20;
    /** The least time before the deadline in which a swap is started (its retries stop at the deadline). */
    static final Duration SWAP_MIN_TIME = Duration.ofSeconds(90);
    /** In-place mode drops the target only with this much time, plus 3x the archive check's time, left. */
    static final Duration IN_PLACE_EXTRA_TIME = Duration.ofSeconds(60);
    static final int IN_PLACE_READ_FACTOR = 3;
    /** Longest wait for one session to end (pg_terminate_backend's timeout, PostgreSQL 14+). */
    private static final long TERMINATE_WAIT_MS = 5000;

    private final Services services;

    public RestoreService(Services services) {
        this.services = services;
    }

    public Outcome run(String filename, Instant deadline) {
        Config config = services.config;
        if (BackupName.parse(config.appName(), filename).isEmpty()) {
            throw new RestoreFailedException("Invalid backup file name");
        }
        services.store.checkBucket();
        BackupObject backup = services.store.find(filename)
                .orElseThrow(() -> new RestoreFailedException("Backup file not found: " + filename));
        DbConnection db = services.database();
        Run run = new Run(db, new DatabaseNames(db.database()), backup, deadline,
                services.pgTools.newestPgRestore());
        return run.execute();
    }

    /** Server facts and the target database's encoding and locale, which the rebuilt database keeps. */
    record TargetFacts(String encoding, String collate, String ctype, String provider, String locale, String owner) {
    }

    /** The state of one restore, so that every failure path knows what to undo. */
    private final class Run {
        final DbConnection db;
        final DatabaseNames names;
        final BackupObject backup;
        final Instant deadline;
        final PgTools.Installation pgRestore;
        final List<String> secrets;
        final List<String> notes = new ArrayList<>();
        final String target;
        int serverMajor;
        String currentUser;
        String dumpedFrom;
        long pgRestoreMillis;
        long checkMillis;

        Run(DbConnection db, DatabaseNames names, BackupObject backup, Instant deadline, PgTools.Installation pgRestore) {
            this.db = db;
            this.names = names;
            this.backup = backup;
            this.deadline = deadline;
            this.pgRestore = pgRestore;
            this.secrets = db.password() == null ? List.of() : List.of(db.password());
            this.target = db.database();
        }

        Outcome execute() {
            boolean inPlace = services.config.restoreMode() == Config.RestoreMode.IN_PLACE;
            checkArchive(inPlace);
            try (Connection admin = openMaintenance()) {
                admin.setAutoCommit(true);
                try (Statement s = admin.createStatement();
                     ResultSet rs = s.executeQuery("select current_setting('server_version_num')::int, current_user")) {
                    rs.next();
                    serverMajor = rs.getInt(1) / 10000;
                    currentUser = rs.getString(2);
                }
                dropLeftovers(admin);
                return inPlace ? inPlace(admin) : swap(admin);
            } catch (SQLException e) {
                throw new RestoreFailedException("Restore failed: " + sqlMessage(e) + unchanged());
            }
        }

        /**
         * Reads the archive with the bundled pg_restore before any database is touched: its header and table
         * of contents ({@code --list}) in swap mode, where the restore itself is the full check and a failure
         * costs nothing; every byte ({@code --file=/dev/null}) in in-place mode, which drops the target next.
         */
        void checkArchive(boolean wholeFile) {
            List<String> args = wholeFile ? List.of("--file=/dev/null") : List.of("--list");
            ArchiveFeed.Result r = ArchiveFeed.run(services.pgTools, pgRestore, args, null,
                    () -> services.store.open(backup.filename()), deadline, services.clock, 64 * 1024, wholeFile);
            checkMillis = r.millis();
            if (r.timedOut()) {
                throw new RestoreFailedException("Restore failed: reading backup file " + backup.filename()
                        + " did not finish before the worker's time limit" + unchanged());
            }
            if (!r.ok()) {
                throw new RestoreFailedException("Backup file " + backup.filename() + " cannot be read by pg_restore "
                        + pgRestore.version() + " (corrupt, truncated, or not a pg_dump archive)"
                        + failureDetail(r) + unchanged());
            }
            Matcher m = DUMPED_FROM.matcher(r.stdoutHead());
            dumpedFrom = m.find() ? m.group(1) : null;
        }

        Outcome swap(Connection admin) throws SQLException {
            Instant now = services.clock.instant();
            String fresh = names.restoring(now, existing(admin));
            Optional<TargetFacts> facts = targetFacts(admin, target);
            execute(admin, createDatabase(fresh, facts));
            String old = null;
            boolean swapped = false;
            try {
                restoreInto(fresh);
                // the swap's retries stop at the deadline; starting it with less left could end them before
                // the sessions are gone, for nothing (the restored copy is dropped either way)
                if (timeLeft().compareTo(SWAP_MIN_TIME) < 0) {
                    throw new RestoreFailedException("Restore failed: less than " + SWAP_MIN_TIME.toSeconds()
                            + " s were left before the worker's time limit to swap the databases (the restored copy "
                            + "is dropped)" + unchanged());
                }
                facts.ifPresent(f -> copyOwner(admin, fresh, f));
                old = names.preRestore(services.clock.instant(), existing(admin));
                swapNames(admin, fresh, old, facts.isPresent());
                swapped = true;
            } finally {
                if (!swapped) {
                    dropQuietly(admin, fresh);
                }
            }
            boolean keep = services.config.keepPreRestoreCopy();
            if (facts.isPresent() && !keep) {
                try {
                    dropDatabase(admin, old);
                } catch (SQLException e) {
                    keep = true;
                    notes.add("the previous database could not be dropped and was kept as '" + old + "': "
                            + sqlMessage(e));
                }
            }
            return outcome(facts.isPresent() ? old : null, keep);
        }

        Outcome inPlace(Connection admin) throws SQLException {
            // The restore streams the same bytes from S3 again and also writes them into tables and builds
            // the indexes, so it takes longer than the check's read (T1): with less than 3 x T1 + 60 s left it
            // would likely be killed at the deadline after the drop, leaving an empty database. Refuse now,
            // while nothing has been changed.
            Duration needed = Duration.ofMillis(IN_PLACE_READ_FACTOR * checkMillis).plus(IN_PLACE_EXTRA_TIME);
            Duration left = timeLeft();
            if (left.compareTo(needed) < 0) {
                throw new RestoreFailedException("Restore refused: reading backup file " + backup.filename() + " took "
                        + seconds(checkMillis) + " s, so an in-place restore needs about " + needed.toSeconds()
                        + " s but only " + Math.max(0, left.toSeconds()) + " s are left before the worker's time "
                        + "limit; raise the worker's timeout or use swap mode" + unchanged());
            }
            Optional<TargetFacts> facts = targetFacts(admin, target);
            if (facts.isPresent()) {
                tryExecute(admin, "ALTER DATABASE " + q(target) + " ALLOW_CONNECTIONS false");
                try {
                    dropDatabase(admin, target);
                } catch (SQLException e) {
                    tryExecute(admin, "ALTER DATABASE " + q(target) + " ALLOW_CONNECTIONS true");
                    throw new RestoreFailedException("Restore failed: the database could not be dropped for an "
                            + "in-place restore: " + sqlMessage(e) + unchanged());
                }
            }
            try {
                execute(admin, createDatabase(target, facts));
                restoreInto(target);
            } catch (RuntimeException | SQLException e) {
                // whatever failed (pg_restore, S3's second read, the tools, the server), the target is gone
                String reason = e instanceof SQLException se
                        ? "Restore failed: " + sqlMessage(se) : describe((RuntimeException) e);
                reason = reason.replace(unchanged(), "").replaceAll("[.\\s]+$", "");
                throw new RestoreFailedException(reason + ". In-place mode: the database '" + target
                        + "' had already been dropped and is now empty or missing; restore another backup to recover");
            }
            return outcome(null, false);
        }

        String seconds(long millis) {
            return String.format(java.util.Locale.ROOT, "%.1f", millis / 1000.0);
        }

        Outcome outcome(String preRestoreCopy, boolean kept) {
            return new Outcome(backup.filename(), backup.size(), services.config.restoreMode(), target,
                    preRestoreCopy, kept, pgRestore.version(), dumpedFrom, pgRestoreMillis, notes);
        }

        /** Streams the S3 object into pg_restore connected to {@code database}. */
        void restoreInto(String database) {
            List<String> args = List.of("--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                    "--no-password", "--dbname=" + DatabaseNames.conninfoDbname(database));
            ArchiveFeed.Result r = ArchiveFeed.run(services.pgTools, pgRestore, args, db.withDatabase(database),
                    () -> services.store.open(backup.filename()), deadline, services.clock, 16 * 1024, true);
            pgRestoreMillis = r.millis();
            if (r.timedOut()) {
                throw new RestoreFailedException("Restore failed: pg_restore did not finish before the worker's "
                        + "time limit and was stopped" + unchanged());
            }
            if (!r.ok()) {
                throw new RestoreFailedException("Restore failed: pg_restore exited with code " + r.exitCode()
                        + failureDetail(r) + unchanged());
            }
        }

        String failureDetail(ArchiveFeed.Result r) {
            String tail = Redactor.scrub(r.stderrTail(), secrets);
            StringBuilder d = new StringBuilder();
            if (!tail.isEmpty()) {
                d.append(": ").append(tail.length() > 2000 ? tail.substring(tail.length() - 2000) : tail);
            }
            if (r.readError() != null) {
                d.append(" (reading the backup from S3 failed: ").append(Redactor.scrub(r.readError(), secrets)).append(')');
            } else if (r.exitCode() == 0 && r.incomplete()) {
                d.append(" (only ").append(r.bytesFed()).append(" of the backup's ").append(r.expectedBytes())
                        .append(" bytes were read from S3)");
            }
            return d.toString();
        }

        String unchanged() {
            return ". The database '" + target + "' was not changed";
        }

        /** A user-safe message for a failure: ours as is, the tools' as is, anything else by class, scrubbed. */
        String describe(RuntimeException e) {
            if (e instanceof RestoreFailedException) {
                return e.getMessage();
            }
            if (e instanceof PgTools.PgToolsException) {
                return "Restore failed: " + e.getMessage();
            }
            String m = e.getMessage() == null ? ""
                    : ": " + Redactor.scrub(e.getMessage().replaceAll("\\s+", " ").trim(), secrets);
            return "Restore failed: " + e.getClass().getSimpleName() + m;
        }

        Duration timeLeft() {
            return Duration.between(services.clock.instant(), deadline);
        }

        boolean pastDeadline() {
            return !services.clock.instant().isBefore(deadline);
        }

        /**
         * Blocks new connections to the target, ends its sessions and renames it away, then gives the new
         * database its name. If the second rename fails the first is undone: the target is never missing.
         */
        void swapNames(Connection admin, String fresh, String old, boolean targetExists) throws SQLException {
            if (!targetExists) {
                execute(admin, "ALTER DATABASE " + q(fresh) + " RENAME TO " + q(target));
                return;
            }
            // no statement of the swap waits long for a lock: each attempt stays within the deadline
            boolean lockTimeout = tryExecute(admin, "SET lock_timeout = " + TERMINATE_WAIT_MS);
            boolean blocked = tryExecute(admin, "ALTER DATABASE " + q(target) + " ALLOW_CONNECTIONS false");
            if (!blocked) {
                notes.add("new connections could not be blocked during the swap (not the database owner)");
            }
            String original = target;
            try {
                renameAway(admin, old);
                original = old;
                try {
                    execute(admin, "ALTER DATABASE " + q(fresh) + " RENAME TO " + q(target));
                } catch (SQLException e) {
                    try {
                        execute(admin, "ALTER DATABASE " + q(old) + " RENAME TO " + q(target));
                        original = target;
                    } catch (SQLException undo) {
                        throw new RestoreFailedException("Restore failed while swapping databases and the original "
                                + "database could not be renamed back: it is now named '" + old + "'. Run: ALTER DATABASE "
                                + q(old) + " RENAME TO " + q(target) + " (" + sqlMessage(undo) + ")");
                    }
                    throw new RestoreFailedException("Restore failed while swapping databases: " + sqlMessage(e) + unchanged());
                }
            } finally {
                if (blocked) {
                    tryExecute(admin, "ALTER DATABASE " + q(original) + " ALLOW_CONNECTIONS true");
                }
                if (lockTimeout) {
                    tryExecute(admin, "RESET lock_timeout");
                }
            }
        }

        /**
         * Renames the target to {@code old}, ending its sessions (and any that raced in) until it succeeds, at
         * most {@link #RENAME_ATTEMPTS} times and never past the deadline: it returns with the target renamed,
         * or throws with the target still under its name.
         */
        void renameAway(Connection admin, String old) throws SQLException {
            String lastError = null;
            int left = 0;
            for (int attempt = 1; ; attempt++) {
                if (pastDeadline()) {
                    List<String> why = new ArrayList<>();
                    if (left > 0) {
                        why.add(left + " session(s) could not be ended");
                    }
                    if (lastError != null) {
                        why.add(lastError);
                    }
                    throw new RestoreFailedException("Restore failed: the database '" + target + "' could not be taken "
                            + "out of use before the worker's time limit" + (why.isEmpty() ? "" : " ("
                            + String.join(", ", why) + ")") + unchanged());
                }
                left = terminateSessions(admin, target, deadline);
                if (pastDeadline()) {
                    continue; // ending the sessions used up the time: fail above, without renaming now
                }
                try {
                    execute(admin, "ALTER DATABASE " + q(target) + " RENAME TO " + q(old));
                    return;
                } catch (SQLException e) {
                    // 55006: sessions still connected; 55P03: a lock not granted within lock_timeout
                    boolean retry = "55006".equals(e.getSQLState()) || "55P03".equals(e.getSQLState());
                    lastError = sqlMessage(e);
                    if (!retry || attempt >= RENAME_ATTEMPTS) {
                        throw new RestoreFailedException("Restore failed: could not take the database '" + target
                                + "' out of use (" + (left > 0 ? left + " session(s) could not be ended, " : "")
                                + lastError + ")" + unchanged());
                    }
                    pause(Math.min(100L * attempt, Math.max(0, timeLeft().toMillis())));
                }
            }
        }

        /** Ends every other session on {@code database}; returns how many could not be ended. */
        int terminateSessions(Connection admin, String database) throws SQLException {
            return terminateSessions(admin, database, null);
        }

        /**
         * Ends every other session on {@code database}, waiting for each at most 5 s and never past
         * {@code until} (when not null): the sessions not reached by then count as not ended.
         */
        int terminateSessions(Connection admin, String database, Instant until) throws SQLException {
            List<Integer> pids = new ArrayList<>();
            try (PreparedStatement ps = admin.prepareStatement(
                    "select pid from pg_stat_activity where datname = ? and pid <> pg_backend_pid()")) {
                ps.setString(1, database);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        pids.add(rs.getInt(1));
                    }
                }
            }
            int failed = 0;
            boolean waits = serverMajor >= 14;
            String call = waits ? "select pg_terminate_backend(?, ?)" : "select pg_terminate_backend(?)";
            for (int i = 0; i < pids.size(); i++) {
                long wait = TERMINATE_WAIT_MS;
                if (until != null) {
                    wait = Math.min(wait, Duration.between(services.clock.instant(), until).toMillis());
                    if (wait <= 0) {
                        return failed + pids.size() - i;
                    }
                }
                try (PreparedStatement ps = admin.prepareStatement(call)) {
                    ps.setInt(1, pids.get(i));
                    if (waits) {
                        ps.setLong(2, wait);
                    }
                    ps.execute();
                } catch (SQLException e) {
                    failed++; // e.g. a superuser's session, which a non-superuser cannot end
                }
            }
            return failed;
        }

        void dropDatabase(Connection admin, String database) throws SQLException {
            if (serverMajor >= 13) {
                execute(admin, "DROP DATABASE IF EXISTS " + q(database) + " WITH (FORCE)");
                return;
            }
            for (int attempt = 1; ; attempt++) {
                terminateSessions(admin, database);
                try {
                    execute(admin, "DROP DATABASE IF EXISTS " + q(database));
                    return;
                } catch (SQLException e) {
                    if (!"55006".equals(e.getSQLState()) || attempt >= RENAME_ATTEMPTS) {
                        throw e;
                    }
                    pause(100L * attempt);
                }
            }
        }

        void dropQuietly(Connection admin, String database) {
            try {
                dropDatabase(admin, database);
            } catch (SQLException e) {
                notes.add("the partial database '" + database + "' could not be dropped: " + sqlMessage(e));
            }
        }

        /** Databases a killed worker left half-built (only names this class generates for this target). */
        void dropLeftovers(Connection admin) throws SQLException {
            Pattern leftover = names.restoringPattern();
            List<String> found = new ArrayList<>();
            try (Statement s = admin.createStatement(); ResultSet rs = s.executeQuery("select datname from pg_database")) {
                while (rs.next()) {
                    if (leftover.matcher(rs.getString(1)).matches()) {
                        found.add(rs.getString(1));
                    }
                }
            }
            for (String name : found) {
                try {
                    dropDatabase(admin, name);
                    notes.add("dropped '" + name + "' left by an earlier restore that did not finish");
                } catch (SQLException e) {
                    notes.add("could not drop '" + name + "' left by an earlier restore: " + sqlMessage(e));
                }
            }
        }

        /** The server's databases right now, for names that must not exist yet. */
        java.util.function.Predicate<String> existing(Connection admin) throws SQLException {
            java.util.Set<String> names = new java.util.HashSet<>();
            try (Statement s = admin.createStatement(); ResultSet rs = s.executeQuery("select datname from pg_database")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            return names::contains;
        }

        Optional<TargetFacts> targetFacts(Connection admin, String database) throws SQLException {
            try (PreparedStatement ps = admin.prepareStatement(
                    "select pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, "
                            + "to_jsonb(d) ->> 'datlocprovider', "
                            + "coalesce(to_jsonb(d) ->> 'datlocale', to_jsonb(d) ->> 'daticulocale'), "
                            + "pg_get_userbyid(d.datdba) from pg_database d where d.datname = ?")) {
                ps.setString(1, database);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new TargetFacts(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6)));
                }
            }
        }

        /** From template0 (nothing of template1's extras), with the target's encoding and locale. */
        String createDatabase(String name, Optional<TargetFacts> facts) {
            StringBuilder sql = new StringBuilder("CREATE DATABASE ").append(q(name)).append(" TEMPLATE template0");
            facts.ifPresent(f -> {
                sql.append(" ENCODING ").append(lit(f.encoding()))
                        .append(" LC_COLLATE ").append(lit(f.collate()))
                        .append(" LC_CTYPE ").append(lit(f.ctype()));
                if (serverMajor >= 15 && f.provider() != null) {
                    switch (f.provider()) {
                        case "i" -> sql.append(" LOCALE_PROVIDER icu ICU_LOCALE ").append(lit(f.locale()));
                        case "b" -> sql.append(" LOCALE_PROVIDER builtin BUILTIN_LOCALE ").append(lit(f.locale()));
                        default -> sql.append(" LOCALE_PROVIDER libc");
                    }
                }
            });
            return sql.toString();
        }

        /** The restored database gets the old one's owner when we may do that; otherwise it stays ours. */
        void copyOwner(Connection admin, String fresh, TargetFacts facts) {
            if (facts.owner() == null || facts.owner().equals(currentUser)) {
                return;
            }
            if (!tryExecute(admin, "ALTER DATABASE " + q(fresh) + " OWNER TO " + q(facts.owner()))) {
                notes.add("the restored database is owned by '" + currentUser + "' (could not give it to '"
                        + facts.owner() + "')");
            }
        }

        Connection openMaintenance() throws SQLException {
            try {
                return db.withDatabase(MAINTENANCE_DATABASE).open();
            } catch (SQLException e) {
                if ("3D000".equals(e.getSQLState())) {
                    return db.withDatabase("template1").open();
                }
                throw e;
            }
        }

        String sqlMessage(SQLException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return Redactor.scrub(m.replaceAll("\\s+", " ").trim(), secrets);
        }

        void execute(Connection admin, String sql) throws SQLException {
            try (Statement s = admin.createStatement()) {
                s.execute(sql);
            }
        }

        boolean tryExecute(Connection admin, String sql) {
            try {
                execute(admin, sql);
                return true;
            } catch (SQLException e) {
                return false;
            }
        }
    }

    private static String q(String identifier) {
        return DatabaseNames.quoteIdent(identifier);
    }

    private static String lit(String value) {
        return DatabaseNames.quoteLiteral(value == null ? "" : value);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RestoreFailedException("Restore interrupted");
        }
    }
}
