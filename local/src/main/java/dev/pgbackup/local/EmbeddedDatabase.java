package dev.pgbackup.local;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;

/**
 * A throw-away PostgreSQL server (embedded, from Maven) holding the demo database of one local
 * environment. The application role logs in with a password generated for this run (never printed);
 * the {@code postgres} superuser may connect from localhost without one, so an operator can inspect the
 * demo database with psql.
 */
final class EmbeddedDatabase implements AutoCloseable {
    static final String APP_USER = "app_owner";

    private final EmbeddedPostgres server;
    private final String database;
    private final String password;

    private EmbeddedDatabase(EmbeddedPostgres server, String database, String password) {
        this.server = server;
        this.database = database;
        this.password = password;
    }

    static EmbeddedDatabase start(String database, int port, String environment, int demoRows) throws IOException {
        Path hba = Files.createTempFile("pgbackup-local-hba", ".conf");
        Files.writeString(hba, String.join("\n",
                "local all all trust",
                "host all postgres 127.0.0.1/32 trust",
                "host all all 127.0.0.1/32 scram-sha-256",
                "host all all ::1/128 scram-sha-256", ""));
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setServerConfig("hba_file", hba.toString())
                .setServerConfig("password_encryption", "scram-sha-256");
        if (port > 0) {
            builder.setPort(port);
        }
        EmbeddedPostgres server = builder.start();
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        EmbeddedDatabase db = new EmbeddedDatabase(server, database, password);
        db.admin("postgres", "create role " + APP_USER + " login createdb password '" + password + "'");
        db.admin("postgres", "create database " + database + " owner " + APP_USER);
        db.admin(database, "set role " + APP_USER + ";\n" + DemoData.schema() + DemoData.rows(environment, demoRows));
        return db;
    }

    int port() {
        return server.getPort();
    }

    String database() {
        return database;
    }

    /** What goes into the DB URL SecureString; never printed. */
    String url() {
        return "postgresql://" + APP_USER + ":" + password + "@127.0.0.1:" + port() + "/" + database
                + "?sslmode=disable";
    }

    private void admin(String db, String sql) {
        try (Connection c = server.getDatabase("postgres", db).getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
