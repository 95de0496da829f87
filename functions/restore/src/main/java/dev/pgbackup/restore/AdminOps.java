package dev.pgbackup.restore;

import dev.pgbackup.common.time.Deadline;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the restore core asks of the server's maintenance database: the databases by name and OID, and the DDL that
 * creates, renames, gives away, closes and drops them. {@link AdminSession} is the real one (and holds the SQL); the
 * seam lets the strategies and {@link RestoreService} be tested against a server held in memory.
 */
public interface AdminOps extends AutoCloseable {
    int serverMajor();

    /** A failure's message for the job's details, with the job's secrets scrubbed. */
    String message(SQLException e);

    /** The names of the server's databases right now. */
    Set<String> databaseNames() throws SQLException;

    /** The OID of the database of that name, if there is one: a name can be reused, an OID cannot be mistaken. */
    Optional<Long> oid(String database) throws SQLException;

    Optional<AdminSession.DatabaseFacts> facts(String database) throws SQLException;

    void createDatabase(String name, Optional<AdminSession.DatabaseFacts> like) throws SQLException;

    void rename(String database, String to) throws SQLException;

    /** Lets new connections into {@code database}, or not; false when this role may not (not its owner). */
    boolean allowConnections(String database, boolean allow);

    /** Gives {@code database} to {@code owner} when that is not us; a refusal is the note returned (it stays ours). */
    Optional<String> giveTo(String database, String owner);

    /**
     * Lets the commits of new sessions in {@code database} return before their WAL flush (the database's own
     * synchronous_commit, which a role's own setting would override); false when refused.
     */
    boolean skipCommitFlushes(String database);

    /**
     * Takes {@link #skipCommitFlushes} back, failing unless this is still the server session that set it; this commit
     * waits for its flush, and with it all before it ({@link CommitFlushes}).
     */
    void resumeCommitFlushes(String database) throws SQLException;

    /** Carries what was set on {@code from} itself to {@code to}; returns a note for each setting it could not. */
    List<String> carrySettings(String from, String to) throws SQLException;

    /** Ends every other session on {@code database}; returns how many could not be ended before {@code until}. */
    int terminateSessions(String database, Deadline until) throws SQLException;

    void dropDatabase(String database) throws SQLException;

    /** Bounds every later statement's wait for a lock (a swap's attempts stay within the deadline); false if not. */
    boolean limitLockWait();

    /** Undoes {@link #limitLockWait}. */
    void resetLockWait();

    /** Drops {@code database}; a failure becomes a note, never an exception (this runs on failure paths). */
    default Optional<String> dropQuietly(String database) {
        try {
            dropDatabase(database);
            return Optional.empty();
        } catch (SQLException e) {
            return Optional.of("the database '" + database + "' could not be dropped: " + message(e));
        }
    }

    @Override
    void close();
}
