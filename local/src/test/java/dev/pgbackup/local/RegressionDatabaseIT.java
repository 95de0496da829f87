package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL's own regression database, the standard fixture of pg_dump and pg_upgrade: the server's regression
 * suite (pg_regress, built once from the layer's source tarball by scripts/regress-build.sh) run against an embedded
 * server of exactly that version, then the database it leaves backed up and restored through the workers and compared
 * whole. Its objects belong to the superuser and its roles, so here the product connects as the superuser.
 */
class RegressionDatabaseIT {
    static final int MAJOR = 18;
    static TestPostgres pg;
    static Path suite;

    @BeforeAll
    static void buildSuiteAndStartServer() {
        suite = Path.of(run(List.of("bash", RepoPaths.root().resolve("scripts/regress-build.sh").toString(),
                String.valueOf(MAJOR)), Map.of(), 20, true).strip());
        pg = TestPostgres.start(RepoPaths.root().resolve("local/target/pg-servers/regress-" + MAJOR + ".jar"));
        String version = pg.query("postgres", "show server_version").get(0).replaceAll("\\s.*", "");
        assertEquals(sourceVersion(), version, "local/pom.xml's regress-" + MAJOR + ".jar must be the release of "
                + "layers/postgresql-client/sources.lock's PostgreSQL " + MAJOR + ": the suite's C module needs it");
    }

    @AfterAll
    static void stopServer() {
        if (pg != null) {
            pg.stop();
        }
    }

    /**
     * The differences a dump and restore have by design (patterns, see {@link DatabaseShape#unexpected}): none is the
     * product's, each is pg_dump's, and each must occur.
     */
    static final Map<String, String> EXPECTED = Map.of(
            "columns of ", "pg_dump declares an inheritance child with its parents' columns first: columns a parent "
                    + "got after the child, or that the child declared itself, come back in another order (the test "
                    + "checks that each is a child, with the same columns)",
            "schema differs: -- Name: (gtestxx_4|test_type_diff2_c[12]); Type: TABLE; ",
            "the same: these children redeclare inherited columns, so their CREATE TABLE lists the new order",
            "inventory only in (source|restored): constraint (foreign key|not null)",
            "the names of foreign keys cloned to partitions and of inherited NOT NULL constraints are chosen again "
                    + "when the restore creates them (their definitions are in the schema, equal)",
            "inventory only in source: operator\\|public\\.!==\\(boolean,boolean\\)",
            "a shell operator (named only as another's commutator or negator, no function) is not dumped",
            "inventory only in source: comment\\|pg_subscription ",
            "the suite leaves a comment on a subscription it dropped; pg_dump dumps comments with their objects",
            "rows of public\\.mvtest_bb: ", "a materialized view the suite left stale is refreshed by the restore");

    @Test
    void theRegressionDatabaseComesBackWhole() {
        runSuite();
        DatabaseShape before = DatabaseShape.of(pg, "regression");
        RoundTrip trip = RoundTrip.of(pg, "regression", Map.of("RESTORE_JOBS", "1"));
        trip.production().putParameters(superuserUrl("regression"));
        trip.staging().putParameters(superuserUrl(trip.target()));

        JobRecord restored = trip.restore();

        assertEquals(JobRecord.Status.SUCCEEDED, restored.status(), restored.message() + " / " + restored.diagnostic());
        DatabaseShape after = DatabaseShape.of(pg, trip.target());
        List<String> differences = before.differences(after);
        List<String> children = pg.query("regression",
                "select format('%I.%I', n.nspname, c.relname) from pg_inherits i "
                        + "join pg_class c on c.oid = i.inhrelid join pg_namespace n on n.oid = c.relnamespace");
        for (String d : differences.stream().filter(d -> d.startsWith("columns of ")).toList()) {
            String table = d.substring("columns of ".length(), d.indexOf(": "));
            assertTrue(children.contains(table), "not an inheritance child: " + d);
            assertEquals(sorted(before.columns().get(table)), sorted(after.columns().get(table)), d);
        }
        assertEquals(List.of(), DatabaseShape.unexpected(differences, EXPECTED));
        System.out.printf("the regression database of PostgreSQL %s: %d objects of %d kinds, %d rows in %d tables, %d "
                + "large objects, %d schema entries: equal but for the expected%n", sourceVersion(),
                before.inventory().size(), before.kinds().size(), before.rowCount(), before.rows().size(),
                before.largeObjects().size(), before.schema().size());
    }

    /** The whole parallel schedule: a few tests differ from their expected output here, which does not matter. */
    static void runSuite() {
        Path out = tempDir();
        Path regress = suite.resolve("regress");
        run(List.of(suite.resolve("bin/pg_regress").toString(), "--host=127.0.0.1", "--port=" + pg.port(),
                "--user=postgres", "--dbname=regression", "--max-connections=4",
                "--bindir=" + RepoPaths.pgTool(MAJOR, "psql").getParent(), "--dlpath=" + suite.resolve("dl"),
                "--inputdir=" + regress, "--outputdir=" + out, "--schedule=" + regress.resolve("parallel_schedule")),
                new PgTools(RepoPaths.pgToolsDir()).environmentFor(null), 15, false);
        assertTrue(Integer.parseInt(pg.query("regression", "select count(*) from pg_class").get(0)) > 1000,
                "the suite left its regression database");
    }

    static List<String> sorted(String columns) {
        return java.util.Arrays.stream(columns.split(", ")).sorted().toList();
    }

    static String superuserUrl(String database) {
        return "postgresql://postgres:trusted@127.0.0.1:" + pg.port() + "/" + database + "?sslmode=disable";
    }

    /** "18.6" from sources.lock's "18  18.6-3 ..." line. */
    static String sourceVersion() {
        try {
            return Files.readAllLines(RepoPaths.root().resolve("layers/postgresql-client/sources.lock")).stream()
                    .filter(l -> l.startsWith(MAJOR + " ")).findFirst().orElseThrow().split("\\s+")[1]
                    .replaceAll("-.*", "");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a command within {@code minutes}; its stdout. pg_regress exits 1 when any test differs: not an error. */
    static String run(List<String> command, Map<String, String> env, int minutes, boolean mustSucceed) {
        try {
            Path log = Files.createTempFile("regress-", ".log");
            Path stdout = Files.createTempFile("regress-", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile())
                    .redirectError(log.toFile());
            if (!env.isEmpty()) {
                builder.environment().clear();
                builder.environment().putAll(env);
            }
            Process p = builder.start();
            p.getOutputStream().close();
            if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " did not finish in " + minutes + " minutes");
            }
            String output = Files.readString(stdout, StandardCharsets.UTF_8);
            if (mustSucceed && p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ":\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            Files.deleteIfExists(log);
            Files.deleteIfExists(stdout);
            return output;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Path tempDir() {
        try {
            return Files.createTempDirectory("regress-results-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
