package dev.pgbackup.common.db;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where the environment's database is, parsed from {@code postgresql://user:password@host:port/db?sslmode=...}
 * (the value of the DB URL SecureString). The password leaves this object only as a libpq environment
 * variable or a JDBC property: never in a process argument, never in {@link #toString()}.
 */
public final class DbConnection {
    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final String password;
    private final String sslMode;
    private final String sslRootCert;

    public DbConnection(String host, int port, String database, String user, String password, String sslMode) {
        this(host, port, database, user, password, sslMode, null);
    }

    public DbConnection(String host, int port, String database, String user, String password, String sslMode,
            String sslRootCert) {
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
        this.sslMode = sslMode;
        this.sslRootCert = sslRootCert;
    }

    public static DbConnection parse(String url) {
        String text = url == null ? "" : url.trim();
        if (text.startsWith("jdbc:")) {
            text = text.substring(5);
        }
        if (!text.startsWith("postgresql://") && !text.startsWith("postgres://")) {
            // the value is a secret: describe the expected shape, never echo it
            throw new IllegalArgumentException(
                    "Database URL must look like postgresql://user:password@host:5432/dbname");
        }
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Database URL is not a valid URL (postgresql://user:password@host:5432/dbname)");
        }
        String userInfo = uri.getRawUserInfo();
        String user = null;
        String password = null;
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
        }
        Map<String, String> query = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
                }
            }
        }
        user = query.getOrDefault("user", user);
        password = query.getOrDefault("password", password);
        String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        if (uri.getHost() == null || path.isEmpty() || user == null) {
            throw new IllegalArgumentException(
                    "Database URL needs a host, a database name and a user (postgresql://user:password@host:5432/dbname)");
        }
        String sslMode = query.getOrDefault("sslmode", "prefer");
        if (!SSL_MODES.contains(sslMode)) {
            throw new IllegalArgumentException("Database URL: sslmode must be one of " + String.join(", ", SSL_MODES));
        }
        return new DbConnection(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 5432, path, user, password,
                sslMode, query.get("sslrootcert"));
    }

    private static final java.util.List<String> SSL_MODES = java.util.List.of("disable", "allow", "prefer", "require",
            "verify-ca", "verify-full");

    /**
     * With the root certificate resolved: a relative {@code sslrootcert} (as in {@code sslrootcert=rds-ca.pem})
     * names a file in {@code certsDir}, the layer's bundled CA certificates.
     */
    public DbConnection withCertificatesIn(java.nio.file.Path certsDir) {
        if (sslRootCert == null || java.nio.file.Path.of(sslRootCert).isAbsolute()) {
            return this;
        }
        return new DbConnection(host, port, database, user, password, sslMode,
                certsDir.resolve(sslRootCert).toString());
    }

    /** The server is not authenticated: neither verify-ca nor verify-full (a man in the middle could read the dump). */
    boolean unverifiedTls() {
        return !sslMode.equals("verify-ca") && !sslMode.equals("verify-full");
    }

    /** What the audit log says about a connection that does not authenticate the server, if it does not. */
    public java.util.Optional<String> tlsWarning() {
        return unverifiedTls() ? java.util.Optional.of("sslmode=" + sslMode + " does not verify the database server's "
                + "certificate: use sslmode=verify-full with sslrootcert (see docs/safety.md, TLS to the database)")
                : java.util.Optional.empty();
    }

    String sslRootCert() {
        return sslRootCert;
    }

    private static String decode(String s) {
        // only %XX escapes: a '+' in a password is a plus, not a space (URLDecoder is for forms)
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The same server and database as another user, or with another password (a fresh IAM token). */
    public DbConnection withCredentials(String otherUser, String otherPassword) {
        return new DbConnection(host, port, database, otherUser, otherPassword, sslMode, sslRootCert);
    }

    public DbConnection withDatabase(String otherDatabase) {
        return new DbConnection(host, port, otherDatabase, user, password, sslMode, sslRootCert);
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    public String database() {
        return database;
    }

    public String user() {
        return user;
    }

    /** For {@link Redactor}: the one value that must never appear in output. */
    public String password() {
        return password;
    }

    String sslMode() {
        return sslMode;
    }

    /** Variables for libpq children (pg_dump, pg_restore, psql): the password travels here, not in argv. */
    Map<String, String> libpqEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PGHOST", host);
        env.put("PGPORT", Integer.toString(port));
        env.put("PGDATABASE", database);
        env.put("PGUSER", user);
        if (password != null) {
            env.put("PGPASSWORD", password);
        }
        env.put("PGSSLMODE", sslMode);
        if (sslRootCert != null) {
            env.put("PGSSLROOTCERT", sslRootCert);
        }
        env.put("PGCONNECT_TIMEOUT", "15");
        env.put("PGAPPNAME", "pg-backup-lambda");
        return env;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    Properties jdbcProperties() {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        // pgjdbc knows disable/allow/prefer/require/verify-ca/verify-full like libpq
        p.setProperty("sslmode", sslMode);
        if (sslRootCert != null) {
            p.setProperty("sslrootcert", sslRootCert);
        }
        p.setProperty("connectTimeout", "15");
        // nothing we run should wait for ever: a network stall or a lock behind a long transaction ends
        // in an error the worker reports, instead of Lambda killing it without a word
        p.setProperty("socketTimeout", "600");
        p.setProperty("options", "-c lock_timeout=60s");
        p.setProperty("ApplicationName", "pg-backup-lambda");
        return p;
    }

    public java.sql.Connection open() throws java.sql.SQLException {
        return java.sql.DriverManager.getConnection(jdbcUrl(), jdbcProperties());
    }

    @Override
    public String toString() {
        return "database '" + database + "' on " + host + ":" + port;
    }
}
