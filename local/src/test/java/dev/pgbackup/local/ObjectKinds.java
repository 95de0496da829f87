package dev.pgbackup.local;

import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The "every object kind" fixture (src/test/resources/fixtures/object-kinds, see its README) and the layer's
 * client tools that load and inspect it. Scripts run through psql, not JDBC: they are plain SQL files an
 * operator can also feed to psql by hand, and psql reports the file and line of a failure.
 */
final class ObjectKinds {
    private static final Path FIXTURES = resources("fixtures/object-kinds");

    private ObjectKinds() {}

    /** Builds the owner part in {@code database}, as the database owner (the product's role, no superuser). */
    static void load(TestPostgres pg, String database) {
        List<Path> scripts = list(FIXTURES, "owner-");
        if (scripts.isEmpty()) {
            throw new IllegalStateException("no owner-*.sql in " + FIXTURES);
        }
        for (Path script : scripts) {
            psql(pg, pg.connection(database), script);
        }
    }

    /** The scripts of kinds the owner cannot carry through a backup and restore, by name ("event-trigger"). */
    static List<String> limits() {
        return list(FIXTURES.resolve("limits"), "").stream()
                .map(p -> p.getFileName().toString().replaceAll("\\.sql$", "")).toList();
    }

    /** Runs one of {@link #limits()} in {@code database} as the superuser. */
    static void loadLimit(TestPostgres pg, String database, String limit) {
        psql(pg, superuser(pg, database), FIXTURES.resolve("limits/" + limit + ".sql"));
    }

    /** The superuser's connection (trusted on 127.0.0.1, see TestPostgres). */
    static DbConnection superuser(TestPostgres pg, String database) {
        return pg.connection(database).withCredentials("postgres", "");
    }

    /** {@code pg_dump --schema-only --no-owner --no-acl} of {@code database}, by the layer's pg_dump for the server. */
    static String schemaDump(TestPostgres pg, String database) {
        Path pgDump = RepoPaths.pgTool(pg.serverMajor(), "pg_dump");
        // pg_dump 17.6+/18 writes \restrict lines with a random key: equal schemas would differ on them
        return run(List.of(pgDump.toString(), "--schema-only", "--no-owner", "--no-acl", "--no-password"),
                superuser(pg, database)).lines()
                .filter(l -> !l.startsWith("\\restrict ") && !l.startsWith("\\unrestrict "))
                .reduce(new StringBuilder(), (b, l) -> b.append(l).append('\n'), StringBuilder::append).toString();
    }

    private static void psql(TestPostgres pg, DbConnection as, Path script) {
        run(List.of(RepoPaths.pgToolsDir().resolve("bin/psql").toString(), "--no-psqlrc", "--quiet",
                "--set=ON_ERROR_STOP=1", "--no-password", "--file=" + script), as);
    }

    /** Runs a client tool of the layer connected as {@code as}; its stdout, or an exception with its stderr. */
    static String run(List<String> command, DbConnection as) {
        try {
            Path out = Files.createTempFile("object-kinds-", ".out");
            Path err = Files.createTempFile("object-kinds-", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile())
                        .redirectError(err.toFile());
                builder.environment().clear();
                builder.environment().putAll(new PgTools(RepoPaths.pgToolsDir()).environmentFor(as));
                Process p = builder.start();
                p.getOutputStream().close();
                if (!p.waitFor(5, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(command.get(0) + " did not finish in 5 minutes");
                }
                if (p.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ":\n"
                            + Files.readString(err, StandardCharsets.UTF_8));
                }
                return Files.readString(out, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A SQL resource as text (the inventory query). */
    static String sql(String name) {
        try {
            return Files.readString(resources("fixtures").resolve(name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> list(Path dir, String prefix) {
        try (Stream<Path> files = Files.list(dir)) {
            return new ArrayList<>(files.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && p.getFileName().toString().endsWith(".sql")).sorted().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path resources(String name) {
        try {
            return Path.of(ObjectKinds.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource " + name + " not found", e);
        }
    }
}
