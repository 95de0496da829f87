package dev.pgbackup.restore;

import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.time.Deadline;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A database server held in memory for the restore core's unit tests: databases by name, each with an OID, an owner
 * and its contents as an opaque label ("original", or "restored from" the backup pg_restore read). Every operation
 * that changes something, or runs a tool, is recorded in order ({@link #operations}); {@link #failAt} makes the next
 * operation whose record starts with a prefix fail as the real one would (an SQLException, or pg_restore's failure).
 */
final class InMemoryRestoreServer implements RestoreServer {
    static final String OWNER = "app";
    static final PgTools.Installation PG_RESTORE = new PgTools.Installation(16, "16.4", Path.of("/nonexistent"));

    /** One database: what it holds, who owns it, whether new connections are let in. */
    static final class Database {
        final long oid;
        String contents;
        String owner = OWNER;
        boolean allowConnections = true;
        /** Whether its sessions' commits return before their flush (synchronous_commit off on the database). */
        boolean commitFlushesSkipped;

        Database(long oid, String contents) {
            this.oid = oid;
            this.contents = contents;
        }
    }

    private final Map<String, Database> databases = new LinkedHashMap<>();
    private final List<String> operations = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private long nextOid = 16384;
    private boolean lockWaitLimited;

    /** A database already on the server, holding {@code contents}. */
    InMemoryRestoreServer with(String name, String contents) {
        databases.put(name, new Database(nextOid++, contents));
        return this;
    }

    /** The next operation recorded as starting with {@code prefix} fails (each prefix once, in any order). */
    InMemoryRestoreServer failAt(String prefix) {
        failures.add(prefix);
        return this;
    }

    /** Names to contents, as the server holds them now. */
    Map<String, String> contents() {
        Map<String, String> c = new LinkedHashMap<>();
        databases.forEach((name, db) -> c.put(name, db.contents));
        return c;
    }

    Optional<Database> database(String name) {
        return Optional.ofNullable(databases.get(name));
    }

    List<String> operations() {
        return List.copyOf(operations);
    }

    boolean lockWaitLimited() {
        return lockWaitLimited;
    }

    /** What a restore of the plan's backup leaves in a database. */
    static String restoredFrom(String filename) {
        return "restored from " + filename;
    }

    @Override
    public ArchiveReads.Checked check(RestoreService.Plan plan, boolean wholeFile, Deadline deadline) {
        tool(wholeFile ? "check whole file" : "check list", plan);
        return new ArchiveReads.Checked("16.4", "16.4", 5, null, 10);
    }

    @Override
    public ArchiveReads.Checked listWithDependencies(RestoreService.Plan plan, Deadline deadline,
            Consumer<String> lines) {
        tool("check list with dependencies", plan);
        return new ArchiveReads.Checked("16.4", "16.4", 5, null, 10);
    }

    @Override
    public AdminOps open(RestoreService.Plan plan) throws SQLException {
        sql("open");
        return new Admin();
    }

    @Override
    public PgTools.Installation pgRestoreFor(ArchiveReads.Checked checked, int serverMajor) {
        return PG_RESTORE;
    }

    @Override
    public long stream(RestoreService.Plan plan, PgTools.Installation pgRestore, String database, Path useList,
            Deadline deadline) {
        return fill("stream into " + database, plan, database);
    }

    @Override
    public long parallel(RestoreService.Plan plan, RestoreService.Archive archive, String database, Path useList,
            int jobs, Deadline deadline) {
        return fill("parallel into " + database, plan, database);
    }

    @Override
    public void sanitize(RestoreService.Plan plan, String database, Deadline deadline, boolean tableOnly)
            throws SQLException {
        sql("sanitize " + database);
        require(database).contents += ", sanitised";
    }

    @Override
    public void analyze(RestoreService.Plan plan, String database, Deadline deadline, List<String> notes)
            throws SQLException {
        sql("analyze " + database);
        require(database);
    }

    private long fill(String operation, RestoreService.Plan plan, String database) {
        tool(operation, plan);
        Database db = databases.get(database);
        if (db == null) {
            throw RestoreFailure.failed(plan.target(), "pg_restore: database \"" + database + "\" does not exist");
        }
        db.contents = restoredFrom(plan.backup().filename());
        return 7;
    }

    /** Records a pg_restore run; told to fail, it fails as pg_restore's exit does (the target untouched). */
    private void tool(String operation, RestoreService.Plan plan) {
        if (record(operation)) {
            throw RestoreFailure.failed(plan.target(), "pg_restore failed at '" + operation + "' (as told)");
        }
    }

    private void sql(String operation) throws SQLException {
        if (record(operation)) {
            throw new SQLException("failed at '" + operation + "' (as told)", "XX000");
        }
    }

    /** Records {@code operation}; true when it was told to fail. */
    private boolean record(String operation) {
        operations.add(operation);
        for (int i = 0; i < failures.size(); i++) {
            if (operation.startsWith(failures.get(i))) {
                failures.remove(i);
                return true;
            }
        }
        return false;
    }

    private Database require(String name) throws SQLException {
        Database db = databases.get(name);
        if (db == null) {
            throw new SQLException("database \"" + name + "\" does not exist", "3D000");
        }
        return db;
    }

    /** The admin session over this server's databases. */
    private final class Admin implements AdminOps {
        @Override
        public int serverMajor() {
            return PG_RESTORE.major();
        }

        @Override
        public String message(SQLException e) {
            return e.getMessage();
        }

        @Override
        public Set<String> databaseNames() {
            return new HashSet<>(databases.keySet());
        }

        @Override
        public Optional<Long> oid(String database) {
            return database(database).map(d -> d.oid);
        }

        @Override
        public Optional<AdminSession.DatabaseFacts> facts(String database) {
            return database(database).map(d -> new AdminSession.DatabaseFacts("UTF8", "C", "C", "c", null, d.owner));
        }

        @Override
        public void createDatabase(String name, Optional<AdminSession.DatabaseFacts> like) throws SQLException {
            sql("create " + name);
            if (databases.containsKey(name)) {
                throw new SQLException("database \"" + name + "\" already exists", "42P04");
            }
            databases.put(name, new Database(nextOid++, "empty"));
        }

        @Override
        public void rename(String database, String to) throws SQLException {
            sql("rename " + database + " to " + to);
            require(database);
            if (databases.containsKey(to)) {
                throw new SQLException("database \"" + to + "\" already exists", "42P04");
            }
            databases.put(to, databases.remove(database));
        }

        @Override
        public boolean allowConnections(String database, boolean allow) {
            operations.add("allow connections " + database + " " + allow);
            database(database).ifPresent(d -> d.allowConnections = allow);
            return databases.containsKey(database);
        }

        @Override
        public Optional<String> giveTo(String database, String owner) {
            if (owner == null || owner.equals(OWNER)) {
                return Optional.empty();
            }
            operations.add("give " + database + " to " + owner);
            database(database).ifPresent(d -> d.owner = owner);
            return Optional.empty();
        }

        @Override
        public boolean skipCommitFlushes(String database) {
            if (record("skip commit flushes " + database)) {
                return false; // refused, as for a role that may not set it
            }
            database(database).ifPresent(d -> d.commitFlushesSkipped = true);
            return true;
        }

        @Override
        public void resumeCommitFlushes(String database) throws SQLException {
            sql("resume commit flushes " + database);
            require(database).commitFlushesSkipped = false;
        }

        @Override
        public List<String> carrySettings(String from, String to) throws SQLException {
            sql("carry settings " + from + " to " + to);
            return List.of();
        }

        @Override
        public int terminateSessions(String database, Deadline until) throws SQLException {
            sql("terminate sessions " + database);
            return 0;
        }

        @Override
        public void dropDatabase(String database) throws SQLException {
            sql("drop " + database);
            databases.remove(database);
        }

        @Override
        public boolean limitLockWait() {
            lockWaitLimited = true;
            return true;
        }

        @Override
        public void resetLockWait() {
            lockWaitLimited = false;
        }

        @Override
        public void close() {
            operations.add("close");
        }
    }
}
