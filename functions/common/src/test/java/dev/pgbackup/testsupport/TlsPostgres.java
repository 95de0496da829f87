package dev.pgbackup.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server that accepts TLS only, with a certificate for {@code localhost} signed by a test CA
 * made for this run (openssl), and a second CA that signed nothing of it: what verify-full must accept and
 * what it must refuse.
 */
public final class TlsPostgres implements AutoCloseable {
    public static final String USER = "tls_app";
    public static final String PASSWORD = "Tls-Pa55word-that-must-never-leak";

    private final EmbeddedPostgres server;
    public final Path caCertificate;
    public final Path otherCaCertificate;

    private TlsPostgres(EmbeddedPostgres server, Path ca, Path otherCa) {
        this.server = server;
        this.caCertificate = ca;
        this.otherCaCertificate = otherCa;
    }

    public static TlsPostgres start() {
        return start(List.of());
    }

    /**
     * With {@code trustedUsers} let in over TLS without a password check: what RDS does with a valid IAM token,
     * which nothing here can verify.
     */
    public static TlsPostgres start(List<String> trustedUsers) {
        try {
            Path dir = Files.createTempDirectory("tls-pg-");
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
                    "-keyout", "ca.key", "-out", "ca.crt");
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other-ca",
                    "-keyout", "other.key", "-out", "other.crt");
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
                    "-out", "server.csr");
            Files.writeString(dir.resolve("san.ext"), "subjectAltName=DNS:localhost\n");
            openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-days", "2", "-extfile", "san.ext", "-out", "server.crt");
            Files.setPosixFilePermissions(dir.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
            Path hba = dir.resolve("pg_hba.conf");
            List<String> lines = new java.util.ArrayList<>(List.of("local all all trust",
                    "host all postgres 127.0.0.1/32 trust"));
            trustedUsers.forEach(u -> lines.addAll(List.of("hostssl all " + u + " 127.0.0.1/32 trust",
                    "hostssl all " + u + " ::1/128 trust")));
            Files.writeString(hba, String.join("\n", lines) + "\n" + String.join("\n",
                    "hostssl all all 127.0.0.1/32 scram-sha-256", "hostssl all all ::1/128 scram-sha-256",
                    "hostnossl all all 0.0.0.0/0 reject", ""));
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setServerConfig("ssl", "on")
                    .setServerConfig("ssl_cert_file", dir.resolve("server.crt").toString())
                    .setServerConfig("ssl_key_file", dir.resolve("server.key").toString())
                    .setServerConfig("hba_file", hba.toString())
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .start();
            TlsPostgres tls = new TlsPostgres(pg, dir.resolve("ca.crt"), dir.resolve("other.crt"));
            tls.admin("create role " + USER + " login createdb password '" + PASSWORD + "'");
            return tls;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the TLS PostgreSQL", e);
        }
    }

    private static void openssl(Path dir, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("openssl " + args[0] + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return server.getPort();
    }

    /** The application's URL: TLS verified against {@code ca}, to {@code host}. */
    public String url(String database, String host, String sslMode, Path ca) {
        return "postgresql://" + USER + ":" + PASSWORD + "@" + host + ":" + port() + "/" + database + "?sslmode="
                + sslMode + (ca == null ? "" : "&sslrootcert=" + ca);
    }

    public void admin(String sql) {
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    public void execute(String database, String sql) {
        try (Connection c = server.getDatabase("postgres", database).getConnection();
                Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** First column of every row, as text (as the superuser, over the local socket). */
    public List<String> query(String database, String sql) {
        try (Connection c = server.getDatabase("postgres", database).getConnection();
                Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery(sql)) {
            List<String> rows = new java.util.ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // the JVM ends the tests
        }
    }
}
