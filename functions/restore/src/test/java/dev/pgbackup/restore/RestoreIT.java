package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.common.JobRecord;
import dev.pgbackup.common.Json;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The restore API and worker against a real PostgreSQL, the layer's real pg_restore and moto's S3/SSM
 * over HTTP. A staging stack restores a production backup into the staging database, as in the field.
 */
class RestoreIT {
    static final String PRODUCTION_DB = "restore_production";
    static TestPostgres pg;
    static byte[] productionDump;
    static Map<String, List<String>> productionSnapshot;

    @BeforeAll
    static void seed() {
        pg = TestPostgres.get();
        if (!pg.databaseExists(PRODUCTION_DB)) {
            pg.createDatabase(PRODUCTION_DB);
            // ~4 MB of rows whose bytea does not compress
            SeedData.seed(pg, PRODUCTION_DB, 4000, "production-data");
        }
        productionDump = BackupFiles.dump(pg, PRODUCTION_DB);
        productionSnapshot = pg.snapshot(PRODUCTION_DB);
    }

    /** One staging stack with its own bucket and its own freshly seeded staging database. */
    static final class Fixture {
        final TestStack stack;
        final String target;
        final String productionBackup;
        final Map<String, List<String>> stagingSnapshot;
        final List<Map<String, Object>> workerResults = new CopyOnWriteArrayList<>();
        volatile CountDownLatch workerGate;

        Fixture(Map<String, String> overrides, Clock clock, boolean recentStagingBackup, String targetName) {
            String bucket = "restore-" + UUID.randomUUID().toString().substring(0, 8);
            TestStack.createBucket(bucket);
            this.target = targetName != null ? targetName : "staging_" + UUID.randomUUID().toString().substring(0, 8);
            pg.admin("create database " + DatabaseNames.quoteIdent(target) + " owner " + TestPostgres.APP_USER);
            SeedData.seed(pg, target, 150, "staging-data");
            this.stack = TestStack.create("staging", bucket, target, overrides, clock);
            if (targetName != null) {
                stack.putParameters(urlWithEncodedDatabase(target));
            }
            this.stagingSnapshot = pg.snapshot(target);
            this.productionBackup = BackupFiles.name("production", Instant.now().minus(Duration.ofHours(3)));
            BackupFiles.upload(stack.s3, bucket, productionBackup, productionDump);
            if (recentStagingBackup) {
                BackupFiles.upload(stack.s3, bucket, BackupFiles.name("staging", Instant.now()), BackupFiles.dump(pg, target));
            }
            stack.worker(stack.env.get("RESTORE_WORKER_FUNCTION"), (payload, context) -> {
                CountDownLatch gate = workerGate;
                if (gate != null) {
                    try {
                        gate.await(5, TimeUnit.MINUTES);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                workerResults.add(new RestoreWorkerHandler(stack.services).handleRequest(map(payload), context));
            });
        }

        Fixture() {
            this(Map.of(), Clock.systemUTC(), true, null);
        }

        Fixture(Map<String, String> overrides) {
            this(overrides, Clock.systemUTC(), true, null);
        }

        APIGatewayV2HTTPResponse post(String body) {
            return post(TestStack.bearer(token()), body);
        }

        APIGatewayV2HTTPResponse post(Map<String, String> headers, String body) {
            return handle(ApiEvents.request("POST", "/api/setting/restore", headers, body));
        }

        APIGatewayV2HTTPResponse handle(APIGatewayV2HTTPEvent event) {
            APIGatewayV2HTTPResponse response = new RestoreApiHandler(stack.services)
                    .handleRequest(event, new TestContext(Duration.ofSeconds(30)));
            responses.add(response.getBody());
            if (response.getStatusCode() == 200 || response.getStatusCode() >= 500) {
                // the job has ended; its worker may still be releasing the lock and claim
                stack.awaitWorkers();
            }
            return response;
        }

        final List<String> responses = new CopyOnWriteArrayList<>();

        APIGatewayV2HTTPResponse restore(String filename) {
            return post(body(filename, TestStack.PASSKEY));
        }

        List<String> keys(String prefix) {
            List<String> keys = new ArrayList<>();
            for (S3Object o : stack.s3.listObjectsV2Paginator(b -> b.bucket(stack.bucket).prefix(prefix)).contents()) {
                keys.add(o.key());
            }
            return keys;
        }

        /** The job records (not the backup worker's completion records, which share the prefix). */
        List<String> jobKeys() {
            return keys("jobs/").stream().filter(k -> !k.startsWith("jobs/last-backup-")).toList();
        }

        List<JobRecord> jobs() {
            return jobKeys().stream()
                    .map(k -> stack.services.jobs.find(k.substring(5, k.length() - 5)).orElseThrow())
                    .toList();
        }

        String rawJobRecords() {
            StringBuilder all = new StringBuilder();
            for (String key : keys("jobs/")) {
                all.append(stack.s3.getObjectAsBytes(b -> b.bucket(stack.bucket).key(key)).asUtf8String());
            }
            return all.toString();
        }

        /** Nothing started: no job record, no lock, no claim, no worker run, no database created. */
        void assertNothingStarted() {
            stack.awaitWorkers();
            assertEquals(List.of(), jobKeys());
            assertEquals(List.of(), keys("locks/"));
            assertEquals(List.of(), workerResults);
            assertEquals(List.of(), pg.databases(target + "_"));
        }

        void assertNoLeftovers() {
            stack.awaitWorkers();
            assertEquals(List.of(), pg.databases(DatabaseNames.base(target) + "_restore_"), "no half-built database");
            assertEquals(List.of(), keys("locks/"), "lock and claim released");
        }

        /** Neither the passkey, the JWT, the JWT secret nor the database password anywhere we can see. */
        void assertNoSecretsLeaked() {
            stack.awaitWorkers();
            String everything = stack.audit() + String.join("\n", responses) + rawJobRecords()
                    + workerResults.toString();
            for (String secret : List.of(TestStack.PASSKEY, TestStack.JWT_SECRET, TestPostgres.APP_PASSWORD, token())) {
                assertFalse(everything.contains(secret), "a secret leaked: " + secret.substring(0, 6) + "...");
            }
        }
    }

    static String tokenCache;

    static synchronized String token() {
        if (tokenCache == null) {
            tokenCache = TestStack.token("ops@example.com", "WEB_ACCESS");
        }
        return tokenCache;
    }

    static String body(String filename, String passkey) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("filename", filename);
        body.put("passkey", passkey);
        return Json.write(body);
    }

    static Map<String, Object> map(String json) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> bodyOf(APIGatewayV2HTTPResponse response) {
        return map(response.getBody());
    }

    static Map<String, Object> error(String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", false);
        body.put("message", message);
        return body;
    }

    static String urlWithEncodedDatabase(String database) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : database.getBytes(StandardCharsets.UTF_8)) {
            encoded.append(String.format("%%%02X", b));
        }
        return "postgresql://" + TestPostgres.APP_USER + ":" + TestPostgres.APP_PASSWORD + "@127.0.0.1:" + pg.port()
                + "/" + encoded + "?sslmode=disable";
    }

    static boolean allowsConnections(String database) {
        return "t".equals(pg.query("postgres", "select datallowconn from pg_database where datname = '"
                + database.replace("'", "''") + "'").get(0));
    }

    // ---------------------------------------------------------------- the main path

    @Test
    void aProductionBackupRestoredByTheStagingStackReplacesTheStagingDatabaseRowForRow() throws Exception {
        Fixture f = new Fixture();
        Connection idleSession = pg.connection(f.target).open();

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("success", true);
        expected.put("message", "Database restored successfully from backup: " + f.productionBackup);
        assertEquals(expected, bodyOf(response));
        // the staging database now holds production's rows, sequences, views, functions and indexes
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        // production itself was never touched
        assertEquals(productionSnapshot, pg.snapshot(PRODUCTION_DB));
        // the old staging database is kept, whole, for recovery, and can be connected to
        List<String> copies = pg.databases(f.target + "_pre_restore_");
        assertEquals(1, copies.size(), copies.toString());
        assertEquals(f.stagingSnapshot, pg.snapshot(copies.get(0)));
        assertTrue(allowsConnections(f.target));
        assertTrue(allowsConnections(copies.get(0)));
        assertEquals(List.of(TestPostgres.APP_USER), pg.query("postgres",
                "select pg_get_userbyid(datdba) from pg_database where datname = '" + f.target + "'"));
        // the session on the old database was ended for the swap
        assertFalse(idleSession.isValid(5));
        idleSession.close();
        f.assertNoLeftovers();

        List<JobRecord> jobs = f.jobs();
        assertEquals(1, jobs.size());
        JobRecord job = jobs.get(0);
        assertEquals(JobRecord.Status.SUCCEEDED, job.status());
        assertEquals(JobRecord.Type.RESTORE, job.type());
        assertEquals("staging", job.environment());
        assertEquals("ops@example.com", job.requestedBy());
        assertEquals(Long.valueOf(productionDump.length), job.bytes());
        assertTrue(job.details().contains("previous database kept as '" + copies.get(0) + "'"), job.details());
        String audit = f.stack.audit();
        assertTrue(audit.contains("\"action\":\"restore.request\""), audit);
        assertTrue(audit.contains("\"action\":\"restore.job\""), audit);
        assertEquals(2, audit.lines().filter(l -> l.contains("\"result\":\"SUCCEEDED\"")).count(), audit);
        assertTrue(audit.contains("\"subject\":\"ops@example.com\""), audit);
        assertTrue(audit.contains("\"filename\":\"" + f.productionBackup + "\""), audit);
        f.assertNoSecretsLeaked();
    }

    @Test
    void thePreRestoreCopyIsDroppedWhenConfigured() {
        Fixture f = new Fixture(Map.of("KEEP_PRE_RESTORE_COPY", "false"));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        assertTrue(f.jobs().get(0).details().contains("previous database dropped"), f.jobs().get(0).details());
        f.assertNoLeftovers();
    }

    @Test
    void inPlaceModeDropsAndRecreatesTheDatabase() throws Exception {
        Fixture f = new Fixture(Map.of("RESTORE_MODE", "in-place"));
        Connection idleSession = pg.connection(f.target).open();

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        assertFalse(idleSession.isValid(5));
        idleSession.close();
        assertTrue(f.jobs().get(0).details().startsWith("mode in-place"), f.jobs().get(0).details());
        f.assertNoLeftovers();
        f.assertNoSecretsLeaked();
    }

    @Test
    void aDatabaseNameThatNeedsQuotingAndFillsSixtyThreeBytes() {
        String name = "Stg-Restore-Target-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        name = name + "x".repeat(DatabaseNames.MAX_BYTES - name.length());
        Fixture f = new Fixture(Map.of(), Clock.systemUTC(), true, name);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(name));
        List<String> copies = pg.databases(DatabaseNames.base(name) + "_pre_restore_");
        assertEquals(1, copies.size(), pg.databases("Stg-Restore-").toString());
        assertTrue(copies.get(0).getBytes(StandardCharsets.UTF_8).length <= DatabaseNames.MAX_BYTES, copies.get(0));
        assertEquals(f.stagingSnapshot, pg.snapshot(copies.get(0)));
        assertEquals(List.of(), pg.databases(DatabaseNames.base(name) + "_restore_"));
    }

    @Test
    void pgRestoreGetsTheConnectionOnlyThroughItsEnvironment() throws Exception {
        Path tools = FakeTools.wrapping("pg_restore",
                "echo \"$@\" >> \"$(dirname \"$0\")/../args.txt\"\n"
                + "env | cut -d= -f1 >> \"$(dirname \"$0\")/../envnames.txt\"\n"
                + "exec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        String args = Files.readString(tools.resolve("args.txt"));
        assertTrue(args.contains("--list"), args);
        assertTrue(args.contains("--no-owner --no-acl --exit-on-error --single-transaction"), args);
        assertFalse(args.contains(TestPostgres.APP_PASSWORD), args);
        assertFalse(args.contains("postgresql://"), args);
        assertFalse(args.contains(TestPostgres.APP_USER), args);
        assertTrue(Files.readString(tools.resolve("envnames.txt")).contains("PGPASSWORD"));
        f.assertNoSecretsLeaked();
    }

    // ---------------------------------------------------------------- broken archives

    static byte[] corrupted(String how) {
        byte[] dump = productionDump.clone();
        return switch (how) {
            case "not an archive" -> "this is not a pg_dump archive, just text\n".repeat(100).getBytes(StandardCharsets.UTF_8);
            case "truncated in the header" -> Arrays.copyOf(dump, 3);
            case "truncated in the table of contents" -> Arrays.copyOf(dump, 1500);
            case "truncated in the data" -> Arrays.copyOf(dump, dump.length / 2);
            case "corrupt data block" -> {
                for (int i = dump.length / 2; i < dump.length / 2 + 200; i++) {
                    dump[i] = (byte) 0x41;
                }
                yield dump;
            }
            default -> throw new IllegalArgumentException(how);
        };
    }

    static Stream<Arguments> brokenArchives() {
        List<Arguments> cases = new ArrayList<>();
        for (String mode : List.of("swap", "in-place")) {
            cases.add(Arguments.of(mode, "not an archive", "cannot be read by pg_restore"));
            cases.add(Arguments.of(mode, "truncated in the header", "cannot be read by pg_restore"));
            cases.add(Arguments.of(mode, "truncated in the table of contents", "cannot be read by pg_restore"));
            // swap mode finds these in the restore itself (into the new database); in-place mode reads the
            // whole file before it drops anything
            cases.add(Arguments.of(mode, "truncated in the data",
                    mode.equals("swap") ? "pg_restore exited with code 1" : "cannot be read by pg_restore"));
            cases.add(Arguments.of(mode, "corrupt data block",
                    mode.equals("swap") ? "pg_restore exited with code 1" : "cannot be read by pg_restore"));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("brokenArchives")
    void aBrokenArchiveFailsAndLeavesTheTargetExactlyAsItWas(String mode, String how, String expectedMessage) {
        Fixture f = new Fixture(Map.of("RESTORE_MODE", mode));
        String broken = BackupFiles.name("production", Instant.now().minus(Duration.ofHours(1)));
        BackupFiles.upload(f.stack.s3, f.stack.bucket, broken, corrupted(how));

        APIGatewayV2HTTPResponse response = f.restore(broken);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertEquals(false, bodyOf(response).get("success"));
        assertTrue(message.contains(expectedMessage), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertTrue(allowsConnections(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"), "no half-built or renamed database left");
        f.assertNoLeftovers();
        List<JobRecord> jobs = f.jobs();
        assertEquals(1, jobs.size());
        assertEquals(JobRecord.Status.FAILED, jobs.get(0).status());
        assertEquals(message, jobs.get(0).message());
        assertTrue(f.stack.audit().contains("\"result\":\"FAILED\""), f.stack.audit());
        f.assertNoSecretsLeaked();

        // the lock is free again: a good backup restores at once
        APIGatewayV2HTTPResponse good = f.restore(f.productionBackup);
        assertEquals(200, good.getStatusCode(), good.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
    }

    @Test
    void aRestoreFailingOnTheServerLeavesTheTargetUntouchedInSwapMode() {
        // a readable archive whose restore fails (as when the server rejects a statement)
        Path tools = FakeTools.wrapping("pg_restore", "for a in \"$@\"; do case \"$a\" in --dbname=*) "
                + "echo 'pg_restore: error: could not execute query: ERROR:  simulated failure' >&2; exit 1;; esac; done\n"
                + "exec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        assertEquals(error("Restore failed: pg_restore exited with code 1: pg_restore: error: could not execute query: "
                + "ERROR:  simulated failure. The database '" + f.target + "' was not changed"), bodyOf(response));
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        f.assertNoLeftovers();
    }

    @Test
    void inPlaceModeSaysPlainlyThatTheDatabaseIsGoneWhenTheRestoreFailsAfterTheDrop() {
        Path tools = FakeTools.wrapping("pg_restore", "for a in \"$@\"; do case \"$a\" in --dbname=*) "
                + "echo 'pg_restore: error: could not execute query: ERROR:  simulated failure' >&2; exit 1;; esac; done\n"
                + "exec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString(), "RESTORE_MODE", "in-place"));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertTrue(message.startsWith("Restore failed: pg_restore exited with code 1"), message);
        assertTrue(message.endsWith("In-place mode: the database '" + f.target + "' had already been dropped and is now "
                + "empty or missing; restore another backup to recover"), message);
        assertFalse(message.contains("was not changed"), message);
        // the documented risk of this mode: an empty database (the reason swap is the default)
        assertEquals(List.of(), pg.query(f.target, "select tablename from pg_tables where schemaname = 'public'"));
        f.assertNoLeftovers();
    }

    @Test
    void inPlaceModeSaysTheDatabaseWasDroppedWhateverFailsAfterTheDrop() {
        // the archive check runs, then the tool disappears: starting pg_restore again after the drop fails
        // with PgToolsException, not a RestoreFailedException
        Path tools = FakeTools.wrapping("pg_restore", "for a in \"$@\"; do if [ \"$a\" = --file=/dev/null ]; then "
                + "\"$REAL\" \"$@\"; rc=$?; rm -f \"$0\"; exit $rc; fi; done\nexec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString(), "RESTORE_MODE", "in-place"));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertEquals("Restore failed: pg_restore command not found. Ensure PostgreSQL client tools are installed on the "
                + "server. In-place mode: the database '" + f.target + "' had already been dropped and is now empty or "
                + "missing; restore another backup to recover", message);
        assertEquals(List.of(), pg.query(f.target, "select tablename from pg_tables where schemaname = 'public'"));
        f.assertNoLeftovers();
    }

    @Test
    void inPlaceModeDoesNotDropTheDatabaseWithoutTimeForTheRestore() throws Exception {
        Fixture f = new Fixture(Map.of("RESTORE_MODE", "in-place"));
        Connection idleSession = pg.connection(f.target).open();

        // 30 s before the deadline: less than the 60 s an in-place restore needs beyond 3 x the check's read
        Map<String, Object> result = runWorker(f, Duration.ofSeconds(30));

        assertEquals("FAILED", result.get("status"));
        String message = (String) result.get("message");
        assertTrue(message.startsWith("Restore refused: reading backup file " + f.productionBackup + " took "), message);
        assertTrue(message.contains("s are left before the worker's time limit"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertTrue(allowsConnections(f.target));
        assertTrue(idleSession.isValid(5), "the target's sessions were left alone");
        idleSession.close();
        assertEquals(List.of(), pg.databases(f.target + "_"));
        f.assertNoLeftovers();
    }

    @Test
    void aPgRestoreThatExitsZeroWithoutReadingTheWholeBackupIsNotACheckedArchive() {
        // in-place mode trusts the whole-file check before it drops: exit 0 alone must not be enough
        Path tools = FakeTools.wrapping("pg_restore",
                "for a in \"$@\"; do if [ \"$a\" = --file=/dev/null ]; then exit 0; fi; done\nexec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString(), "RESTORE_MODE", "in-place"));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertTrue(message.contains("cannot be read by pg_restore"), message);
        assertTrue(message.contains("bytes were read from S3"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        f.assertNoLeftovers();
    }

    @Test
    void theSwapDoesNotStartWithLessThanNinetySecondsLeft() {
        Fixture f = new Fixture();

        // 85 s before the deadline: enough to restore the copy, too little to start the swap
        Map<String, Object> result = runWorker(f, Duration.ofSeconds(85));

        assertEquals("FAILED", result.get("status"));
        assertEquals("Restore failed: less than 90 s were left before the worker's time limit to swap the databases "
                + "(the restored copy is dropped). The database '" + f.target + "' was not changed", result.get("message"));
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertTrue(allowsConnections(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"), "neither a restored copy nor a pre-restore copy");
        f.assertNoLeftovers();
    }

    @Test
    void theSwapStopsAtTheDeadlineWithTheTargetStillInPlace() throws Exception {
        MovableClock clock = new MovableClock();
        Fixture f = new Fixture(Map.of(), clock, true, null);
        // a superuser's session, which the application's role cannot end: the rename keeps failing
        Connection superuser = java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + f.target, "postgres", "");

        CompletableFuture<Map<String, Object>> worker =
                CompletableFuture.supplyAsync(() -> runWorker(f, Duration.ofMinutes(15)));
        Waits.until(Duration.ofMinutes(2), "the swap to block new connections to the target",
                () -> worker.isDone() || !allowsConnections(f.target));
        assertFalse(worker.isDone(), () -> "the worker ended before the swap: " + worker.join());
        clock.advance(Duration.ofMinutes(20)); // the worker's deadline passes while it retries
        Map<String, Object> result = worker.get(2, TimeUnit.MINUTES);

        assertEquals("FAILED", result.get("status"));
        String message = (String) result.get("message");
        assertTrue(message.startsWith("Restore failed: the database '" + f.target + "' could not be taken out of use "
                + "before the worker's time limit"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        // the target never went missing: same name, same rows, open again; the superuser's session untouched
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertTrue(allowsConnections(f.target));
        assertTrue(superuser.isValid(5));
        superuser.close();
        assertEquals(List.of(), pg.databases(f.target + "_"), "neither a restored copy nor a pre-restore copy");
        f.assertNoLeftovers();
    }

    /** Runs the worker on its own for a job holding the lock, with {@code beyondMargin} before its deadline. */
    static Map<String, Object> runWorker(Fixture f, Duration beyondMargin) {
        RestoreLock lock = new RestoreLock(f.stack.services.store, f.stack.services.config, f.stack.services.clock);
        JobRecord job = JobRecord.started(UUID.randomUUID().toString(), JobRecord.Type.RESTORE, "staging",
                f.productionBackup, "ops@example.com", "api", f.stack.services.clock.instant());
        assertTrue(lock.acquire(job.jobId(), "ops@example.com", f.productionBackup).acquired());
        f.stack.services.jobs.save(job);
        return new RestoreWorkerHandler(f.stack.services).handleRequest(Map.of("jobId", job.jobId()),
                new TestContext(Duration.ofMillis(RestoreWorkerHandler.SAFETY_MARGIN_MS).plus(beyondMargin)));
    }

    /** The system clock, moved forward on demand (a deadline passing without waiting for it). */
    static final class MovableClock extends Clock {
        private volatile Duration offset = Duration.ZERO;

        void advance(Duration by) {
            offset = offset.plus(by);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(offset);
        }
    }

    @Test
    void aStuckPgRestoreIsKilledBeforeTheWorkerRunsOutOfTime() {
        // --list answers normally; the restore itself hangs without reading its input
        Path tools = FakeTools.wrapping("pg_restore",
                "for a in \"$@\"; do if [ \"$a\" = --list ]; then exec \"$REAL\" \"$@\"; fi; done\nexec sleep 613");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));
        RestoreLock lock = new RestoreLock(f.stack.services.store, f.stack.services.config, Clock.systemUTC());
        JobRecord job = JobRecord.started(UUID.randomUUID().toString(), JobRecord.Type.RESTORE, "staging",
                f.productionBackup, "ops@example.com", "api", Instant.now());
        assertTrue(lock.acquire(job.jobId(), "ops@example.com", f.productionBackup).acquired());
        f.stack.services.jobs.save(job);

        // Lambda would give it 4 s beyond the safety margin
        Map<String, Object> result = new RestoreWorkerHandler(f.stack.services).handleRequest(Map.of("jobId", job.jobId()),
                new TestContext(Duration.ofMillis(RestoreWorkerHandler.SAFETY_MARGIN_MS + 4000)));

        assertEquals("FAILED", result.get("status"));
        String message = (String) result.get("message");
        assertTrue(message.contains("did not finish before the worker's time limit"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        f.assertNoLeftovers();
        Waits.until(Duration.ofSeconds(30), "the stuck pg_restore to be gone", () -> ProcessHandle.allProcesses()
                .noneMatch(p -> p.info().commandLine().orElse("").contains("sleep 613")));
    }

    // ---------------------------------------------------------------- the known refusals

    @Test
    void aWrongPasskeyIsRefusedWithTheKnownMessageBeforeAnythingElseIsRevealed() {
        Fixture g = new Fixture();

        APIGatewayV2HTTPResponse response = g.post(body(g.productionBackup, "not-the-passkey"));
        assertEquals(403, response.getStatusCode());
        assertEquals(error("Invalid restore passkey"), bodyOf(response));
        // the passkey is checked before existence: a missing file does not answer 404 to a wrong passkey
        APIGatewayV2HTTPResponse missing = g.post(body(BackupFiles.name("production", Instant.parse("2020-01-01T00:00:00Z")),
                TestStack.PASSKEY + "x"));
        assertEquals(403, missing.getStatusCode());
        assertEquals(error("Invalid restore passkey"), bodyOf(missing));
        // a passkey differing only in case, or with whitespace, is wrong too
        assertEquals(403, g.post(body(g.productionBackup, TestStack.PASSKEY.toLowerCase())).getStatusCode());
        assertEquals(403, g.post(body(g.productionBackup, " " + TestStack.PASSKEY)).getStatusCode());
        g.assertNothingStarted();
        assertEquals(g.stagingSnapshot, pg.snapshot(g.target));
        assertEquals(4, g.stack.audit().lines().filter(l -> l.contains("\"result\":\"DENIED\"")).count(), g.stack.audit());
        assertFalse(g.stack.audit().contains("not-the-passkey"));
        g.assertNoSecretsLeaked();
    }

    @Test
    void aMissingBackupIsA404WithTheKnownMessage() {
        Fixture f = new Fixture();
        String missing = BackupFiles.name("production", Instant.parse("2020-01-01T00:00:00Z"));

        APIGatewayV2HTTPResponse response = f.restore(missing);

        assertEquals(404, response.getStatusCode());
        assertEquals(error("Backup file not found: " + missing), bodyOf(response));
        f.assertNothingStarted();
    }

    @Test
    void withoutAnyBackupOfTheCurrentEnvironmentTheSafetyCheckRefuses() {
        // a production backup a second old does not count: the staging database is what gets replaced
        Fixture f = new Fixture(Map.of(), Clock.systemUTC(), false, null);
        BackupFiles.upload(f.stack.s3, f.stack.bucket, BackupFiles.name("production", Instant.now()), productionDump);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(409, response.getStatusCode());
        assertEquals(error("Safety check failed: No recent backup found from 'staging' environment within last 5 minutes. "
                + "Please create a backup first (POST /api/setting/backup) and then retry restore."), bodyOf(response));
        f.assertNothingStarted();
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
    }

    @Test
    void aBackupOfTheCurrentEnvironmentOlderThanTheWindowDoesNotCount() {
        // the stack's clock runs 6 minutes ahead of S3's: the staging backup is 6 minutes old
        Fixture f = new Fixture(Map.of(), Clock.offset(Clock.systemUTC(), Duration.ofMinutes(6)), true, null);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(409, response.getStatusCode());
        assertEquals(error("Safety check failed: No recent backup found from 'staging' environment within last 5 minutes. "
                + "Please create a backup first (POST /api/setting/backup) and then retry restore."), bodyOf(response));
        f.assertNothingStarted();

        // the window is configuration, and the message says so
        Fixture g = new Fixture(Map.of("RECENT_BACKUP_MINUTES", "10"),
                Clock.offset(Clock.systemUTC(), Duration.ofMinutes(11)), true, null);
        APIGatewayV2HTTPResponse ten = g.restore(g.productionBackup);
        assertEquals(409, ten.getStatusCode());
        assertEquals(error("Safety check failed: No recent backup found from 'staging' environment within last 10 minutes. "
                + "Please create a backup first (POST /api/setting/backup) and then retry restore."), bodyOf(ten));
        g.assertNothingStarted();
    }

    @Test
    void withoutAValidTokenAndRoleNothingHappens() {
        Fixture f = new Fixture();
        String body = body(f.productionBackup, TestStack.PASSKEY);

        assertEquals(401, f.post(Map.of(), body).getStatusCode());
        assertEquals(401, f.post(Map.of("authorization", "Basic dXNlcjpwYXNz"), body).getStatusCode());
        assertEquals(401, f.post(TestStack.bearer("not.a.jwt"), body).getStatusCode());
        String forged = com.auth0.jwt.JWT.create().withSubject("mallory").withArrayClaim("roles", new String[] {"WEB_ACCESS"})
                .withExpiresAt(Instant.now().plusSeconds(600))
                .sign(com.auth0.jwt.algorithms.Algorithm.HMAC256("some-other-secret-0123456789abcdef"));
        assertEquals(401, f.post(TestStack.bearer(forged), body).getStatusCode());
        APIGatewayV2HTTPResponse noRole = f.post(TestStack.bearer(TestStack.token("viewer@example.com", "REPORTS")), body);
        assertEquals(403, noRole.getStatusCode());
        assertEquals(false, bodyOf(noRole).get("success"));
        f.assertNothingStarted();
        assertEquals(5, f.stack.audit().lines().filter(l -> l.contains("\"result\":\"DENIED\"")).count());
        f.assertNoSecretsLeaked();
    }

    // ---------------------------------------------------------------- hostile input

    static Stream<Arguments> hostileBodies() {
        String good = BackupFiles.name("production", Instant.parse("2026-01-15T04:30:00Z"));
        String pass = TestStack.PASSKEY;
        List<Arguments> cases = new ArrayList<>();
        for (String name : List.of(
                "../" + good,
                "../../etc/passwd",
                "./" + good,
                "backups/" + good,
                "/" + good,
                "jobs/" + UUID.randomUUID() + ".json",
                "locks/pharmatracker-staging-restore.lock",
                "..\\" + good,
                "%2e%2e%2f" + good,
                good.replace("-on-", "%2Don%2D"),
                good + "%00",
                good + "\u0000",
                good + "\n",
                good.replace(".dump", ".dump.tmp"),
                good.replace("pharmatracker-", "otherapp-"),
                good.replace("pharmatracker-", "PHARMATRACKER-"),
                good.replace("production", "Production"),
                good.replace("production", "prod\u0435ction"),
                good.replace("IST.dump", "IST.DUMP"),
                "pharmatracker-production-on-2026-02-30-at-10-00-00-AM-IST.dump",
                "pharmatracker-production-on-2026-01-15-at-13-00-00-PM-IST.dump",
                "pharmatracker-on-2026-01-15-at-10-00-00-AM-IST.dump",
                ".",
                "..",
                " ",
                "pharmatracker-" + "a".repeat(300) + "-on-2026-01-15-at-10-00-00-AM-IST.dump")) {
            cases.add(Arguments.of("name '" + printable(name) + "'", body(name, pass), 400));
        }
        cases.add(Arguments.of("empty filename", body("", pass), 400));
        cases.add(Arguments.of("empty passkey", body(good, ""), 400));
        cases.add(Arguments.of("10 KB name", body("pharmatracker-" + "a".repeat(10_240) + ".dump", pass), 413));
        cases.add(Arguments.of("huge body", "{\"filename\":\"" + good + "\",\"passkey\":\"" + "p".repeat(100_000) + "\"}", 413));
        cases.add(Arguments.of("not JSON", "filename=" + good + "&passkey=" + pass, 400));
        cases.add(Arguments.of("broken JSON", "{\"filename\":\"" + good + "\",", 400));
        cases.add(Arguments.of("JSON array", "[\"" + good + "\",\"" + pass + "\"]", 400));
        cases.add(Arguments.of("JSON string", "\"" + good + "\"", 400));
        cases.add(Arguments.of("JSON null", "null", 400));
        cases.add(Arguments.of("empty body", "", 400));
        cases.add(Arguments.of("empty object", "{}", 400));
        cases.add(Arguments.of("missing passkey", "{\"filename\":\"" + good + "\"}", 400));
        cases.add(Arguments.of("missing filename", "{\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("extra field", "{\"filename\":\"" + good + "\",\"passkey\":\"" + pass
                + "\",\"database\":\"restore_production\"}", 400));
        cases.add(Arguments.of("number filename", "{\"filename\":123,\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("array filename", "{\"filename\":[\"" + good + "\"],\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("object passkey", "{\"filename\":\"" + good + "\",\"passkey\":{\"value\":\"" + pass + "\"}}", 400));
        cases.add(Arguments.of("null passkey", "{\"filename\":\"" + good + "\",\"passkey\":null}", 400));
        cases.add(Arguments.of("duplicate filename", "{\"filename\":\"x\",\"filename\":\"" + good + "\",\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("duplicate passkey", "{\"filename\":\"" + good + "\",\"passkey\":\"x\",\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("trailing content", body(good, pass) + "{}", 400));
        return cases.stream();
    }

    static String printable(String s) {
        String p = s.replaceAll("[^\\x20-\\x7E]", "?");
        return p.length() > 70 ? p.substring(0, 70) + "..." : p;
    }

    /** One fixture for the whole table: every request must leave it untouched. */
    static Fixture hostile;

    static synchronized Fixture hostileFixture() {
        if (hostile == null) {
            hostile = new Fixture();
            String good = BackupFiles.name("production", Instant.parse("2026-01-15T04:30:00Z"));
            // the keys the tricks aim at all exist, so only the validation can stop them
            for (String key : List.of(good, "backups/" + good, "otherapp-production-on-2026-01-15-at-10-00-00-AM-IST.dump",
                    good.replace("production", "Production"), good.replace(".dump", ".dump.tmp"))) {
                BackupFiles.upload(hostile.stack.s3, hostile.stack.bucket, key, productionDump);
            }
        }
        return hostile;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileBodies")
    void hostileInputIsRefusedAndNothingStarts(String label, String body, int status) {
        Fixture f = hostileFixture();

        APIGatewayV2HTTPResponse response = f.post(body);

        assertEquals(status, response.getStatusCode(), response.getBody());
        Map<String, Object> answer = bodyOf(response);
        assertEquals(false, answer.get("success"));
        assertNotNull(answer.get("message"));
        assertFalse(((String) answer.get("message")).contains(TestStack.PASSKEY));
        f.assertNothingStarted();
        f.assertNoSecretsLeaked();
    }

    @Test
    void aBase64BodyIsDecodedAndAnInvalidOneRefused() {
        Fixture f = hostileFixture();
        APIGatewayV2HTTPEvent junk = ApiEvents.request("POST", "/api/setting/restore", TestStack.bearer(token()), "!!!not base64!!!");
        junk.setIsBase64Encoded(true);
        assertEquals(400, f.handle(junk).getStatusCode());
        APIGatewayV2HTTPEvent wrongPasskey = ApiEvents.request("POST", "/api/setting/restore", TestStack.bearer(token()),
                java.util.Base64.getEncoder().encodeToString(body(f.productionBackup, "nope").getBytes(StandardCharsets.UTF_8)));
        wrongPasskey.setIsBase64Encoded(true);
        assertEquals(403, f.handle(wrongPasskey).getStatusCode());
        f.assertNothingStarted();
    }

    // ---------------------------------------------------------------- one restore at a time

    @Test
    void whileARestoreRunsASecondOneGets409AndTheLockIsFreeAfterwards() throws Exception {
        Fixture f = new Fixture();
        f.workerGate = new CountDownLatch(1);

        ExecutorService threads = Executors.newFixedThreadPool(2);
        CompletableFuture<APIGatewayV2HTTPResponse> first =
                CompletableFuture.supplyAsync(() -> f.restore(f.productionBackup), threads);
        String lockKey = RestoreLock.key(f.stack.services.config);
        Waits.until(Duration.ofSeconds(30), "the first restore to take the lock", () -> f.keys("locks/").contains(lockKey));
        String runningJob = f.jobKeys().get(0).replaceAll("^jobs/|\\.json$", "");

        APIGatewayV2HTTPResponse second = f.restore(f.productionBackup);

        assertEquals(409, second.getStatusCode());
        assertEquals(error("A restore of 'staging' is already running (job " + runningJob + ")"), bodyOf(second));
        f.workerGate.countDown();
        APIGatewayV2HTTPResponse firstResponse = first.get(2, TimeUnit.MINUTES);
        assertEquals(200, firstResponse.getStatusCode(), firstResponse.getBody());
        f.stack.awaitWorkers();
        assertEquals(1, f.workerResults.size());
        assertEquals(1, f.jobs().size());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        f.assertNoLeftovers();

        // released on success: the next restore runs (and keeps its own pre-restore copy)
        f.workerGate = null;
        APIGatewayV2HTTPResponse third = f.restore(f.productionBackup);
        assertEquals(200, third.getStatusCode(), third.getBody());
        f.stack.awaitWorkers();
        assertEquals(2, f.workerResults.size());
        f.assertNoLeftovers();
    }

    @Test
    void twoRestoresInTheSameSecondKeepTwoDistinctCopies() {
        // a frozen clock: both restores "finish" in the same second, by construction rather than by luck
        Fixture f = new Fixture(Map.of(), Clock.fixed(Instant.now(), java.time.ZoneOffset.UTC), true, null);
        APIGatewayV2HTTPResponse first = f.restore(f.productionBackup);
        assertEquals(200, first.getStatusCode(), first.getBody());
        APIGatewayV2HTTPResponse second = f.restore(f.productionBackup);
        assertEquals(200, second.getStatusCode(), second.getBody());
        List<String> copies = pg.databases(DatabaseNames.base(f.target) + "_pre_restore_");
        assertEquals(2, copies.size(), copies.toString());
        assertTrue(copies.get(1).equals(copies.get(0) + "_2"), copies.toString());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        assertEquals(productionSnapshot, pg.snapshot(copies.get(1)), "the second copy holds the first restore's result");
        assertEquals(f.stagingSnapshot, pg.snapshot(copies.get(0)), "the first copy holds the original staging data");
        f.assertNoLeftovers();
    }

    // Two requests racing for the lock in the same instant are not tested here: moto checks
    // If-None-Match non-atomically (check, then store), so the race would test the emulator, not us.
    // The lock's conditional write is exercised above (a second restore while one runs gets 409) and S3
    // itself guarantees that exactly one of two simultaneous conditional PUTs succeeds.

    @Test
    void aStaleLockIsTakenOverAndAFreshOneIsNot() {
        Fixture f = new Fixture(Map.of("WORKER_TIMEOUT_SECONDS", "10", "RECENT_BACKUP_MINUTES", "10"));
        String lockKey = RestoreLock.key(f.stack.services.config);
        f.stack.s3.putObject(b -> b.bucket(f.stack.bucket).key(lockKey),
                RequestBody.fromString("{\"jobId\":\"11111111-2222-3333-4444-555555555555\",\"subject\":\"crashed\"}"));

        APIGatewayV2HTTPResponse fresh = f.restore(f.productionBackup);
        assertEquals(409, fresh.getStatusCode());
        assertEquals(error("A restore of 'staging' is already running (job 11111111-2222-3333-4444-555555555555)"),
                bodyOf(fresh));
        assertEquals(List.of(lockKey), f.keys("locks/"));

        // 8 minutes later (worker timeout 10 s + 5 min of event age + 2 min margin) the lock is stale
        TestStack later = TestStack.create("staging", f.stack.bucket, f.target,
                Map.of("WORKER_TIMEOUT_SECONDS", "10", "RECENT_BACKUP_MINUTES", "10"),
                Clock.offset(Clock.systemUTC(), Duration.ofMinutes(8)));
        List<Map<String, Object>> results = new CopyOnWriteArrayList<>();
        later.worker(later.env.get("RESTORE_WORKER_FUNCTION"), (payload, context) ->
                results.add(new RestoreWorkerHandler(later.services).handleRequest(map(payload), context)));
        APIGatewayV2HTTPResponse taken = new RestoreApiHandler(later.services).handleRequest(
                ApiEvents.request("POST", "/api/setting/restore", TestStack.bearer(token()),
                        body(f.productionBackup, TestStack.PASSKEY)), new TestContext(Duration.ofSeconds(30)));
        assertEquals(200, taken.getStatusCode(), taken.getBody());
        assertTrue(later.audit().contains("\"replacedStaleLockOfJob\":\"11111111-2222-3333-4444-555555555555\""), later.audit());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), f.keys("locks/"));
    }

    @Test
    void aWorkerThatCannotBeStartedReleasesTheLock() {
        Fixture f = new Fixture();
        // the same stack, configured with a worker function that does not exist
        TestStack broken = TestStack.create("staging", f.stack.bucket, f.target,
                Map.of("RESTORE_WORKER_FUNCTION", "no-such-worker"));

        APIGatewayV2HTTPResponse response = new RestoreApiHandler(broken.services).handleRequest(
                ApiEvents.request("POST", "/api/setting/restore", TestStack.bearer(token()),
                        body(f.productionBackup, TestStack.PASSKEY)), new TestContext(Duration.ofSeconds(30)));

        assertEquals(503, response.getStatusCode(), response.getBody());
        assertEquals(List.of(), f.keys("locks/"));
        assertEquals(JobRecord.Status.FAILED, f.jobs().get(0).status());
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), f.workerResults);
        assertTrue(broken.audit().contains("\"status\":503"), broken.audit());
    }

    // ---------------------------------------------------------------- the worker on its own

    @Test
    void theWorkerNeverRunsAFinishedUnknownDuplicateOrUnlockedJob() {
        Fixture f = new Fixture();
        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);
        assertEquals(200, response.getStatusCode(), response.getBody());
        JobRecord done = f.jobs().get(0);
        List<String> databases = pg.databases(f.target);
        RestoreWorkerHandler worker = new RestoreWorkerHandler(f.stack.services);
        TestContext context = new TestContext(Duration.ofMinutes(15));

        // a second delivery of a finished job, an unknown job, no job at all
        assertEquals("IGNORED", worker.handleRequest(Map.of("jobId", done.jobId()), context).get("status"));
        assertEquals("IGNORED", worker.handleRequest(Map.of("jobId", UUID.randomUUID().toString()), context).get("status"));
        assertEquals("IGNORED", worker.handleRequest(Map.of("jobId", "../locks/x"), context).get("status"));
        assertEquals("IGNORED", worker.handleRequest(Map.of(), context).get("status"));
        assertEquals(databases, pg.databases(f.target));

        // a running job another invocation already claimed (Lambda delivered the event twice)
        JobRecord claimed = JobRecord.started(UUID.randomUUID().toString(), JobRecord.Type.RESTORE, "staging",
                f.productionBackup, "ops@example.com", "api", Instant.now());
        f.stack.services.jobs.save(claimed);
        f.stack.services.store.createIfAbsent(RestoreLock.claimKey(f.stack.services.config, claimed.jobId()), "{}");
        assertEquals("IGNORED", worker.handleRequest(Map.of("jobId", claimed.jobId()), context).get("status"));
        f.stack.services.store.deleteObject(RestoreLock.claimKey(f.stack.services.config, claimed.jobId()));

        // a running job without the lock (another restore holds it): refused, and that lock stays
        RestoreLock lock = new RestoreLock(f.stack.services.store, f.stack.services.config, Clock.systemUTC());
        assertTrue(lock.acquire("99999999-8888-7777-6666-555555555555", "someone", f.productionBackup).acquired());
        JobRecord unlocked = JobRecord.started(UUID.randomUUID().toString(), JobRecord.Type.RESTORE, "staging",
                f.productionBackup, "ops@example.com", "api", Instant.now());
        f.stack.services.jobs.save(unlocked);
        Map<String, Object> result = worker.handleRequest(Map.of("jobId", unlocked.jobId()), context);
        assertEquals("FAILED", result.get("status"));
        assertTrue(((String) result.get("message")).contains("does not hold the restore lock"), (String) result.get("message"));
        assertEquals("99999999-8888-7777-6666-555555555555", lock.holder().orElseThrow().jobId());
        assertEquals(databases, pg.databases(f.target));
        assertEquals(productionSnapshot, pg.snapshot(f.target));
    }

    // ---------------------------------------------------------------- events/

    @Test
    void theRestoreEventFileIsAnHttpApiRequestTheHandlerUnderstands() throws Exception {
        Fixture f = new Fixture();
        ObjectMapper lenient = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        APIGatewayV2HTTPEvent event = lenient.readValue(RepoPaths.root().resolve("events/restore.json").toFile(),
                APIGatewayV2HTTPEvent.class);
        assertEquals("POST /api/setting/restore", event.getRouteKey());
        assertEquals("/api/setting/restore", event.getRawPath());
        Map<String, Object> body = map(event.getBody());
        assertEquals(List.of("filename", "passkey"), new ArrayList<>(body.keySet()));

        // as shipped (placeholder token): refused
        assertEquals(401, f.handle(event).getStatusCode());
        // with a real token and passkey: runs
        Map<String, String> headers = new HashMap<>(event.getHeaders());
        headers.put("authorization", "Bearer " + token());
        event.setHeaders(headers);
        event.setBody(body(f.productionBackup, TestStack.PASSKEY));
        APIGatewayV2HTTPResponse response = f.handle(event);
        assertEquals(200, response.getStatusCode(), response.getBody());
    }
}
