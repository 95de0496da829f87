package dev.pgbackup.restore;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.time.Deadline;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A connection to the server's maintenance database, with what the server is (its major decides which statements
 * exist) and who we are, read once when it opens: no step can run before these are known.
 */
public final class AdminSession implements AdminOps {
    static final String MAINTENANCE_DATABASE = "postgres";
    /** Longest wait for one session to end (pg_terminate_backend's timeout, PostgreSQL 14+). */
    static final long TERMINATE_WAIT_MS = 5000;
    private static final int DROP_ATTEMPTS = 20;

    /** A database's encoding, locale and owner, which a rebuilt database keeps. */
    public record DatabaseFacts(String encoding, String collate, String ctype, String provider, String locale,
            String owner) {}

    private final Connection connection;
    private final int serverMajor;
    private final String currentUser;
    private final List<String> secrets;
    private final CommitFlushes flushes = new CommitFlushes();

    private AdminSession(Connection connection, int serverMajor, String currentUser, List<String> secrets) {
        this.connection = connection;
        this.serverMajor = serverMajor;
        this.currentUser = currentUser;
        this.secrets = secrets;
    }

    public static AdminSession open(DbConnection db, List<String> secrets) throws SQLException {
        Connection c;
        try {
            c = db.withDatabase(MAINTENANCE_DATABASE).open();
        } catch (SQLException e) {
            if (!"3D000".equals(e.getSQLState())) {
                throw e;
            }
            c = db.withDatabase("template1").open();
        }
        try {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select current_setting('server_version_num')::int, current_user")) {
                rs.next();
                return new AdminSession(c, rs.getInt(1) / 10000, rs.getString(2), secrets);
            }
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    @Override
    public int serverMajor() {
        return serverMajor;
    }

    String currentUser() {
        return currentUser;
    }

    void execute(String sql) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        }
    }

    boolean tryExecute(String sql) {
        try {
            execute(sql);
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public String message(SQLException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return Redactor.scrub(m.replaceAll("\\s+", " ").trim(), secrets);
    }

    /** The names of the server's databases right now. */
    @Override
    public Set<String> databaseNames() throws SQLException {
        Set<String> names = new HashSet<>();
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery("select datname from pg_database")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    /** Settings whose value is a list of names, each quoted on its own (pg_dump's variable_is_guc_list_quote). */
    private static final Set<String> LIST_SETTINGS = Set.of("search_path", "temp_tablespaces",
            "session_preload_libraries", "shared_preload_libraries", "local_preload_libraries");
    private static final java.util.regex.Pattern SETTING_NAME = java.util.regex.Pattern.compile(
            "[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)*");

    /**
     * Gives {@code to} what was set on {@code from} itself, which no dump carries (pg_dump without --create): its
     * {@code ALTER DATABASE ... SET} and {@code ALTER ROLE ... IN DATABASE ... SET} settings and its comment. Each one
     * this role may not set becomes a note (the old database keeps it); returns the notes.
     */
    @Override
    public List<String> carrySettings(String from, String to) throws SQLException {
        List<String> notes = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(
                "select r.rolname, unnest(s.setconfig) from pg_db_role_setting s join pg_database d "
                        + "on d.oid = s.setdatabase left join pg_roles r on r.oid = s.setrole where d.datname = ? "
                        + "order by 1 nulls first, 2")) {
            ps.setString(1, from);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String role = rs.getString(1);
                    String setting = rs.getString(2);
                    Optional<String> sql = settingStatement(role, to, setting);
                    if (sql.isEmpty() || !tryExecute(sql.get())) {
                        notes.add("the setting '" + setting.split("=", 2)[0] + "'" + (role == null ? "" : " of role '"
                                + role + "'") + " of the database could not be carried over (it stays on the old one)");
                    }
                }
            }
        }
        try (PreparedStatement ps = connection.prepareStatement(
                "select shobj_description(oid, 'pg_database') from pg_database where datname = ?")) {
            ps.setString(1, from);
            try (ResultSet rs = ps.executeQuery()) {
                String comment = rs.next() ? rs.getString(1) : null;
                if (comment != null && !tryExecute("COMMENT ON DATABASE " + q(to) + " IS " + lit(comment))) {
                    notes.add("the database's comment could not be carried over");
                }
            }
        }
        return notes;
    }

    /** {@code name=value} as pg_db_role_setting stores it, as the statement that sets it on {@code database}. */
    static Optional<String> settingStatement(String role, String database, String setting) {
        int eq = setting.indexOf('=');
        if (eq <= 0 || !SETTING_NAME.matcher(setting.substring(0, eq)).matches()) {
            return Optional.empty();
        }
        String name = setting.substring(0, eq);
        String value = setting.substring(eq + 1);
        String values = LIST_SETTINGS.contains(name.toLowerCase(java.util.Locale.ROOT))
                ? String.join(", ", SettingList.split(value).stream().map(AdminSession::lit).toList())
                : lit(value);
        return Optional.of((role == null ? "ALTER DATABASE " + q(database) : "ALTER ROLE " + q(role) + " IN DATABASE "
                + q(database)) + " SET " + name + " TO " + values);
    }

    /** The OID of the database of that name, if there is one: a name can be reused, an OID cannot be mistaken. */
    @Override
    public Optional<Long> oid(String database) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("select oid from pg_database where datname = ?")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        }
    }

    @Override
    public Optional<DatabaseFacts> facts(String database) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "select pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, "
                        + "to_jsonb(d) ->> 'datlocprovider', "
                        + "coalesce(to_jsonb(d) ->> 'datlocale', to_jsonb(d) ->> 'daticulocale'), "
                        + "pg_get_userbyid(d.datdba) from pg_database d where d.datname = ?")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new DatabaseFacts(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6)));
            }
        }
    }

    /** From template0 (nothing of template1's extras), with the target's encoding and locale. */
    @Override
    public void createDatabase(String name, Optional<DatabaseFacts> like) throws SQLException {
        StringBuilder sql = new StringBuilder("CREATE DATABASE ").append(q(name)).append(" TEMPLATE template0");
        like.ifPresent(f -> {
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
        execute(sql.toString());
    }

    @Override
    public void rename(String database, String to) throws SQLException {
        execute("ALTER DATABASE " + q(database) + " RENAME TO " + q(to));
    }

    /** Lets new connections into {@code database}, or not; false when this role may not (not its owner). */
    @Override
    public boolean allowConnections(String database, boolean allow) {
        return tryExecute("ALTER DATABASE " + q(database) + " ALLOW_CONNECTIONS " + allow);
    }

    @Override
    public boolean skipCommitFlushes(String database) {
        return flushes.skip(connection, database);
    }

    @Override
    public void resumeCommitFlushes(String database) throws SQLException {
        flushes.resume(connection, database);
    }

    /** Gives {@code database} to {@code owner} when that is not us; a refusal is the note returned (it stays ours). */
    @Override
    public Optional<String> giveTo(String database, String owner) {
        if (owner == null || owner.equals(currentUser)
                || tryExecute("ALTER DATABASE " + q(database) + " OWNER TO " + q(owner))) {
            return Optional.empty();
        }
        return Optional.of("the restored database is owned by '" + currentUser + "' (could not give it to '"
                + owner + "')");
    }

    /** Ends every other session on {@code database}, each waited for 5 s at most, never past {@code until} if set. */
    @Override
    public int terminateSessions(String database, Deadline until) throws SQLException {
        List<Integer> pids = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(
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
            long wait = until == null ? TERMINATE_WAIT_MS : Math.min(TERMINATE_WAIT_MS, until.remaining().toMillis());
            if (wait <= 0) {
                return failed + pids.size() - i;
            }
            try (PreparedStatement ps = connection.prepareStatement(call)) {
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

    @Override
    public void dropDatabase(String database) throws SQLException {
        if (serverMajor >= 13) {
            try {
                execute("DROP DATABASE IF EXISTS " + q(database) + " WITH (FORCE)");
                return;
            } catch (SQLException e) {
                // FORCE refuses outright (42501) when one session is not ours to end: an autovacuum worker (no
                // role) for a role without pg_signal_backend, or a session that is already exiting. A plain DROP
                // ends autovacuum workers itself and waits for exiting sessions, so fall back to it.
                if (!"42501".equals(e.getSQLState())) {
                    throw e;
                }
            }
        }
        for (int attempt = 1;; attempt++) {
            terminateSessions(database, null);
            try {
                execute("DROP DATABASE IF EXISTS " + q(database));
                return;
            } catch (SQLException e) {
                if (!"55006".equals(e.getSQLState()) || attempt >= DROP_ATTEMPTS) {
                    throw e;
                }
                pause(Duration.ofMillis(100L * attempt));
            }
        }
    }

    @Override
    public boolean limitLockWait() {
        return tryExecute("SET lock_timeout = " + TERMINATE_WAIT_MS);
    }

    @Override
    public void resetLockWait() {
        tryExecute("RESET lock_timeout");
    }

    static void pause(Duration d) {
        try {
            Thread.sleep(Math.max(0, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    static String q(String identifier) {
        return DatabaseNames.quoteIdent(identifier);
    }

    private static String lit(String value) {
        return DatabaseNames.quoteLiteral(value == null ? "" : value);
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing a dead connection
        }
    }
}
