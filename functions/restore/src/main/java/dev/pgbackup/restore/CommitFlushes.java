package dev.pgbackup.restore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The admin session's half of a fill whose commits do not wait for their WAL flush ({@link Fill#intoNew}). Turning
 * it off again must also prove that nothing the fill committed can still be lost, which holds only if the server is
 * the one that acknowledged those commits: a crash or a failover loses the commits not yet flushed, and a proxy in
 * front of the server (RDS Proxy) may keep the client's connection open across either and go on with a new server
 * session. So the session is marked when the setting goes on, and the mark is read back in the transaction that
 * takes it off: a new server session has no mark, and the restore fails instead of handing over a database that may
 * be missing its last commits. That transaction always commits a transaction ID (txid_current), so its commit waits
 * for the flush of everything before it, even when there was nothing left to reset.
 */
final class CommitFlushes {
    static final String MARK = "pgbackup.admin_session";
    private final String mark = UUID.randomUUID().toString();

    /** Marks the session, then lets {@code database}'s sessions commit without waiting; false when refused. */
    boolean skip(Connection connection, String database) {
        try (Statement s = connection.createStatement()) {
            s.execute("SET " + MARK + " = " + DatabaseNames.quoteLiteral(mark));
            s.execute("ALTER DATABASE " + DatabaseNames.quoteIdent(database) + " SET synchronous_commit = off");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /** Takes {@link #skip} back in one transaction that first checks the session is still the marked one. */
    void resume(Connection connection, String database) throws SQLException {
        connection.setAutoCommit(false);
        try {
            try (PreparedStatement check = connection.prepareStatement("select current_setting(?, true), "
                    + "txid_current()")) {
                check.setString(1, MARK);
                try (ResultSet rs = check.executeQuery()) {
                    if (!rs.next() || !mark.equals(rs.getString(1))) {
                        throw new SQLException("the admin session is no longer the server session that began the "
                                + "restore (the server restarted or failed over, or a proxy moved the connection): "
                                + "the restored database may be missing its last commits", "57P01");
                    }
                }
            }
            try (Statement s = connection.createStatement()) {
                s.execute("ALTER DATABASE " + DatabaseNames.quoteIdent(database) + " RESET synchronous_commit");
            }
            connection.commit();
        } catch (SQLException e) {
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // the connection is gone with the transaction
            }
            throw e;
        } finally {
            try {
                connection.setAutoCommit(true);
            } catch (SQLException ignored) {
                // likewise
            }
        }
    }
}
