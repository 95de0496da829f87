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
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.Json;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.FaultProxy;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.core.sync.RequestBody;

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
            this(overrides, clock, recentStagingBackup, targetName, dev.pgbackup.testsupport.MotoServer.get().endpoint());
        }

        Fixture(Map<String, String> overrides, Clock clock, boolean recentStagingBackup, String targetName,
                java.net.URI awsEndpoint) {
            String bucket = "restore-" + UUID.randomUUID().toString().substring(0, 8);
            TestStack.createBucket(bucket);
            this.target = targetName != null ? targetName : "staging_" + UUID.randomUUID().toString().substring(0, 8);
            pg.admin("create database " + DatabaseNames.quoteIdent(target) + " owner " + TestPostgres.APP_USER);
            SeedData.seed(pg, target, 150, "staging-data");
            // streamed restores unless a test asks for parallel ones (RESTORE_JOBS=2: download, pg_restore --jobs)
            Map<String, String> env = new HashMap<>(Map.of("RESTORE_JOBS", "1"));
            env.putAll(overrides);
            this.stack = TestStack.create("staging", bucket, target, env, clock, awsEndpoint);
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
                workerResults.add(stack.handler(RestoreWorkerHandler.class).handleRequest(map(payload), context));
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
            APIGatewayV2HTTPResponse response = stack.handler(RestoreApiHandler.class)
                    .handleRequest(event, new TestContext(Duration.ofSeconds(30)));
            responses.add(response.getBody());
            if (response.getStatusCode() == 200 || response.getStatusCode() >= 500) {
                // the job has ended; its worker may still be releasing the lock and claim
                stack.awaitWorkers();
            }
            return response;
        }

        final List<String> responses = new CopyOnWriteArrayList<>();
        int safetyBackups;

        /** A new backup of staging, completed now: what an operator takes before each restore. */
        void takeSafetyBackup() {
            String name = BackupFiles.name("staging", Instant.now().plusSeconds(++safetyBackups));
            BackupFiles.upload(stack.s3, stack.bucket, name, BackupFiles.dump(pg, target));
        }

        APIGatewayV2HTTPResponse restore(String filename) {
            return post(body(filename, TestStack.PASSKEY));
        }

        List<String> keys(String prefix) {
            return stack.keys(prefix);
        }

        static final String JOBS = "pgbackup/jobs/pharmatracker-staging/";

        List<String> jobKeys() {
            return keys(JOBS);
        }

        List<JobRecord> jobs() {
            return jobKeys().stream()
                    .map(k -> stack.wiring.jobs.find(k.substring(JOBS.length(), k.length() - 5)).orElseThrow())
                    .toList();
        }

        String rawJobRecords() {
            StringBuilder all = new StringBuilder();
            for (String key : keys(JOBS)) {
                all.append(stack.s3.getObjectAsBytes(b -> b.bucket(stack.bucket).key(key)).asUtf8String());
            }
            return all.toString();
        }

        /** Nothing started: no job record, no lock, no claim, no worker run, no database created. */
        void assertNothingStarted() {
            stack.awaitWorkers();
            assertEquals(List.of(), jobKeys());
            assertEquals(List.of(), keys("pgbackup/locks/"));
            assertEquals(List.of(), keys("pgbackup/claims/"));
            assertEquals(List.of(), workerResults);
            assertEquals(List.of(), pg.databases(target + "_"));
        }

        void assertNoLeftovers() {
            stack.awaitWorkers();
            assertEquals(List.of(), pg.databases(DatabaseNames.base(target) + "_restore_"), "no half-built database");
            assertEquals(List.of(), keys("pgbackup/locks/"), "lock released");
        }

        /** Neither the passkey, the JWT, the JWT secret nor the database password anywhere we can see. */
        void assertNoSecretsLeaked() {
            stack.awaitWorkers();
            String everything = stack.audit() + String.join("\n", responses) + rawJobRecords()
                    + workerResults.toString();
            for (String secret : List.of(TestStack.PASSKEY, TestStack.jwtSecret("staging"), TestPostgres.APP_PASSWORD,
                    token())) {
                assertFalse(everything.contains(secret), "a secret leaked: " + secret.substring(0, 6) + "...");
            }
        }
    }

    static String tokenCache;

    static synchronized String token() {
        if (tokenCache == null) {
            tokenCache = TestStack.tokenFor("staging", java.time.Clock.systemUTC(), "ops@example.com", "WEB_ACCESS");
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
                "echo \"$@\" >> \"$ROOT/args.txt\"\n"
                + "env | cut -d= -f1 >> \"$ROOT/envnames.txt\"\n"
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

        // the lock is free again: a good backup restores at once (after a new safety backup, as in-place mode
        // changed the database)
        f.takeSafetyBackup();
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
        String message = (String) bodyOf(response).get("message");
        String jobId = (String) bodyOf(response).get("jobId");
        assertEquals("Restore failed: pg_restore exited with code 1: the server rejected a statement of the archive "
                + "(details in job " + jobId + "). The database '" + f.target + "' was not changed", message);
        // what the server said can quote row values: it stays in the record and the log, out of the answer
        assertTrue(f.jobs().get(0).diagnostic().contains("simulated failure"), f.jobs().get(0).diagnostic());
        assertTrue(f.stack.audit().contains("simulated failure"));
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
    void inPlaceModeSaysTheDatabaseWasDroppedWhenS3FailsWhileTheRestoreReads() {
        try (FaultProxy proxy = FaultProxy.start(dev.pgbackup.testsupport.MotoServer.get().endpoint())) {
            Fixture f = new Fixture(Map.of("RESTORE_MODE", "in-place"), Clock.systemUTC(), true, null, proxy.endpoint());
            // the whole-file check reads it once; the restore's read, after the drop, is cut off mid-stream
            FaultProxy.Rule cut = proxy.when(FaultProxy.s3("GET", java.util.regex.Pattern.quote(f.productionBackup), null))
                    .afterPasses(1).resetResponseAfter(200_000);

            APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

            assertEquals(500, response.getStatusCode(), response.getBody());
            assertEquals(1, cut.injected());
            String message = (String) bodyOf(response).get("message");
            assertTrue(message.startsWith("Restore failed: reading the backup from S3 failed"), message);
            assertTrue(message.endsWith("In-place mode: the database '" + f.target + "' had already been dropped and is "
                    + "now empty or missing; restore another backup to recover"), message);
            assertEquals(List.of(), pg.query(f.target, "select tablename from pg_tables where schemaname = 'public'"));
            f.assertNoLeftovers();
        }
    }

    @Test
    void inSwapModeS3FailingWhileTheRestoreReadsLeavesTheTargetAsItWas() {
        try (FaultProxy proxy = FaultProxy.start(dev.pgbackup.testsupport.MotoServer.get().endpoint())) {
            Fixture f = new Fixture(Map.of(), Clock.systemUTC(), true, null, proxy.endpoint());
            FaultProxy.Rule cut = proxy.when(FaultProxy.s3("GET", java.util.regex.Pattern.quote(f.productionBackup), null))
                    .afterPasses(1).resetResponseAfter(200_000);

            APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

            assertEquals(500, response.getStatusCode(), response.getBody());
            assertEquals(1, cut.injected());
            String message = (String) bodyOf(response).get("message");
            assertTrue(message.startsWith("Restore failed: reading the backup from S3 failed"), message);
            assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
            assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
            assertEquals(List.of(), pg.databases(f.target + "_"));
            f.assertNoLeftovers();
        }
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
        // how much reached the pipe before the process was gone is up to the scheduler: anything short of the whole
        Matcher read = Pattern.compile("pg_restore ended after (\\d+) of the backup's "
                + productionDump.length + " bytes").matcher(message);
        assertTrue(read.find(), message);
        assertTrue(Long.parseLong(read.group(1)) < productionDump.length, message);
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
        Fixture f = new Fixture();
        // a superuser's session, which the application's role cannot end: the rename keeps failing
        Connection superuser = java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + f.target, "postgres", "");

        CompletableFuture<Map<String, Object>> worker =
                CompletableFuture.supplyAsync(() -> runWorker(f, Duration.ofMinutes(15)));
        Waits.until(Duration.ofMinutes(2), "the swap to block new connections to the target",
                () -> worker.isDone() || !allowsConnections(f.target));
        assertFalse(worker.isDone(), () -> "the worker ended before the swap: " + worker.join());
        f.stack.ticker.advance(Duration.ofMinutes(20)); // the worker's deadline passes while it retries
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
        assertFalse(f.keys("pgbackup/state/").contains(f.stack.wiring.keys.swapJournal()), "no swap left to repair");
        f.assertNoLeftovers();
    }

    /** A restore job as the API starts it: the record, the lock naming its file, and the invoke payload. */
    static Map<String, Object> startJob(Fixture f, String filename) {
        String jobId = UUID.randomUUID().toString();
        assertTrue(f.stack.wiring.restoreLock().acquire(jobId, "ops@example.com", filename).acquired());
        f.stack.wiring.jobs.save(JobRecord.started(jobId, JobRecord.Type.RESTORE, "staging", filename,
                "ops@example.com", "api", f.stack.wiring.clock.instant()));
        return new WorkerPayload(jobId, "staging", filename, f.stack.wiring.config.restoreMode().name()).toMap();
    }

    /** Runs the worker on its own for a job holding the lock, with {@code beyondMargin} before its deadline. */
    static Map<String, Object> runWorker(Fixture f, Duration beyondMargin) {
        return f.stack.handler(RestoreWorkerHandler.class).handleRequest(startJob(f, f.productionBackup),
                new TestContext(Config.WorkerLimits.SAFETY_MARGIN.plus(beyondMargin)));
    }

    @Test
    void aStuckPgRestoreIsKilledBeforeTheWorkerRunsOutOfTime() {
        // --list answers normally; the restore itself hangs without reading its input
        Path tools = FakeTools.wrapping("pg_restore",
                "for a in \"$@\"; do if [ \"$a\" = --list ]; then exec \"$REAL\" \"$@\"; fi; done\nexec sleep 613");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));

        // Lambda would give it 4 s beyond the safety margin
        Map<String, Object> result = runWorker(f, Duration.ofSeconds(4));

        assertEquals("FAILED", result.get("status"));
        String message = (String) result.get("message");
        assertTrue(message.contains("did not finish before the worker's time limit"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        f.assertNoLeftovers();
        Waits.until(Duration.ofSeconds(30), "the stuck pg_restore to be gone", () -> ProcessHandle.allProcesses()
                .noneMatch(p -> p.info().commandLine().orElse("").contains("sleep 613")));
    }

    // ---------------------------------------------------------------- one restore at a time

    @Test
    void whileARestoreRunsASecondOneGets409AndTheLockIsFreeAfterwards() throws Exception {
        Fixture f = new Fixture();
        f.workerGate = new CountDownLatch(1);

        ExecutorService threads = Executors.newFixedThreadPool(2);
        CompletableFuture<APIGatewayV2HTTPResponse> first =
                CompletableFuture.supplyAsync(() -> f.restore(f.productionBackup), threads);
        String lockKey = f.stack.wiring.keys.restoreLock();
        Waits.until(Duration.ofSeconds(30), "the first restore to take the lock",
                () -> f.keys("pgbackup/locks/").contains(lockKey) && !f.jobKeys().isEmpty());
        String runningJob = f.jobKeys().get(0).replaceAll("^.*/|\\.json$", "");

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

        // released on success: the next restore runs (and keeps its own pre-restore copy) after a safety backup
        // taken since the first restore changed the database
        f.workerGate = null;
        APIGatewayV2HTTPResponse early = f.restore(f.productionBackup);
        assertEquals(409, early.getStatusCode(), early.getBody());
        assertTrue(((String) bodyOf(early).get("message")).contains("started before its last restore"), early.getBody());
        f.takeSafetyBackup();
        APIGatewayV2HTTPResponse third = f.restore(f.productionBackup);
        assertEquals(200, third.getStatusCode(), third.getBody());
        f.stack.awaitWorkers();
        assertEquals(2, f.workerResults.size());
        f.assertNoLeftovers();
    }

    @Test
    void twoRestoresInTheSameSecondKeepTwoDistinctCopies() {
        // a frozen clock: both restores "finish" in the same second, by construction rather than by luck
        Fixture f = new Fixture(Map.of("PRE_RESTORE_COPIES_TO_KEEP", "2"), Clock.fixed(Instant.now(),
                java.time.ZoneOffset.UTC), true, null);
        APIGatewayV2HTTPResponse first = f.restore(f.productionBackup);
        assertEquals(200, first.getStatusCode(), first.getBody());
        f.takeSafetyBackup();
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

    // ---------------------------------------------------------------- the worker on its own

    @Test
    void theWorkerNeverRunsAFinishedUnknownDuplicateUnlockedOrTamperedJob() {
        Fixture f = new Fixture();
        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);
        assertEquals(200, response.getStatusCode(), response.getBody());
        JobRecord done = f.jobs().get(0);
        List<String> databases = pg.databases(f.target);
        RestoreWorkerHandler worker = f.stack.handler(RestoreWorkerHandler.class);
        TestContext context = new TestContext(Duration.ofMinutes(15));
        String mode = f.stack.wiring.config.restoreMode().name();

        // a second delivery of a finished job, an unknown job, no job at all, the old payload shape
        assertEquals("IGNORED", worker.handleRequest(new WorkerPayload(done.jobId(), "staging", f.productionBackup, mode)
                .toMap(), context).get("status"));
        assertEquals("IGNORED", worker.handleRequest(new WorkerPayload(UUID.randomUUID().toString(), "staging",
                f.productionBackup, mode).toMap(), context).get("status"));
        assertEquals("IGNORED", worker.handleRequest(Map.of("jobId", done.jobId()), context).get("status"));
        assertEquals("IGNORED", worker.handleRequest(Map.of(), context).get("status"));
        assertEquals(databases, pg.databases(f.target));

        // a job of another environment: refused without a write
        Map<String, Object> forProduction = new HashMap<>(startJob(f, f.productionBackup));
        forProduction.put("environment", "production");
        List<String> before = f.keys("pgbackup/");
        assertEquals("REFUSED", worker.handleRequest(forProduction, context).get("status"));
        assertEquals(before, f.keys("pgbackup/"));
        f.stack.wiring.restoreLock().release((String) forProduction.get("jobId"));

        // a running job another invocation already claimed (Lambda delivered the event twice)
        Map<String, Object> claimed = startJob(f, f.productionBackup);
        assertTrue(f.stack.wiring.jobs.claim((String) claimed.get("jobId")));
        assertEquals("IGNORED", worker.handleRequest(claimed, context).get("status"));
        f.stack.wiring.restoreLock().release((String) claimed.get("jobId"));

        // the lock names another file than the payload (a payload or record tampered with): refused
        String planted = BackupFiles.name("production", Instant.now().minus(Duration.ofHours(5)));
        BackupFiles.upload(f.stack.s3, f.stack.bucket, planted, BackupFiles.dump(pg, f.target));
        Map<String, Object> swapped = new HashMap<>(startJob(f, f.productionBackup));
        swapped.put("filename", planted);
        Map<String, Object> refused = worker.handleRequest(swapped, context);
        assertEquals("FAILED", refused.get("status"));
        assertTrue(((String) refused.get("message")).startsWith("Restore refused: the job record and the invoke payload "
                + "disagree"), (String) refused.get("message"));
        assertTrue(f.stack.wiring.restoreLock().holder().isEmpty(), "its own lock is released");

        // a running job without the lock (another restore holds it): refused, and that lock stays
        assertTrue(f.stack.wiring.restoreLock().acquire("99999999-8888-7777-6666-555555555555", "someone",
                f.productionBackup).acquired());
        String unlocked = UUID.randomUUID().toString();
        f.stack.wiring.jobs.save(JobRecord.started(unlocked, JobRecord.Type.RESTORE, "staging", f.productionBackup,
                "ops@example.com", "api", Instant.now()));
        Map<String, Object> result = worker.handleRequest(new WorkerPayload(unlocked, "staging", f.productionBackup,
                mode).toMap(), context);
        assertEquals("FAILED", result.get("status"));
        assertTrue(((String) result.get("message")).contains("does not hold the restore lock"), (String) result.get("message"));
        assertEquals("99999999-8888-7777-6666-555555555555",
                f.stack.wiring.restoreLock().holder().orElseThrow().jobId());
        assertEquals(databases, pg.databases(f.target));
        assertEquals(productionSnapshot, pg.snapshot(f.target));
    }

    // ---------------------------------------------------------------- checksums, versions, interrupted swaps

    /** A manifest as production's backup worker writes it, under production's own prefix. */
    static void writeProductionManifest(Fixture f, String filename, String sha256, long bytes) {
        new dev.pgbackup.common.storage.Records(f.stack.wiring.objects).write(
                new dev.pgbackup.common.storage.StateKeys(TestStack.APP, "production")
                        .manifest(filename, dev.pgbackup.common.storage.BackupClass.SCHEDULED),
                new dev.pgbackup.common.storage.Manifest(filename, "production",
                        dev.pgbackup.common.storage.BackupClass.SCHEDULED, UUID.randomUUID().toString(), Instant.now(),
                        Instant.now(), bytes, sha256, "15", "15", "gzip", null));
    }

    static String sha256(byte[] bytes) {
        return dev.pgbackup.common.Hashes.hex(dev.pgbackup.common.Hashes.newSha256().digest(bytes));
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"swap", "in-place"})
    void anArchiveThatDoesNotMatchItsRecordedChecksumNeverReachesTheTarget(String mode) {
        Fixture f = new Fixture(Map.of("RESTORE_MODE", mode));
        byte[] tampered = productionDump.clone();
        tampered[tampered.length - 10] ^= 1; // a bit flipped near the end: still a readable archive, perhaps
        writeProductionManifest(f, f.productionBackup, sha256(tampered), tampered.length);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertTrue(message.contains("does not match the checksum recorded when it was written"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        f.assertNoLeftovers();

        writeProductionManifest(f, f.productionBackup, sha256(productionDump), productionDump.length);
        f.takeSafetyBackup();
        APIGatewayV2HTTPResponse good = f.restore(f.productionBackup);
        assertEquals(200, good.getStatusCode(), good.getBody());
        assertTrue(f.jobs().stream().anyMatch(j -> j.details() != null && j.details().contains("checksum verified")));
        assertEquals(productionSnapshot, pg.snapshot(f.target));
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"swap", "in-place"})
    void anArchiveReplacedAfterItsCheckIsNotRestored(String mode) {
        Fixture f = new Fixture(Map.of("RESTORE_MODE", mode));
        // storage that lets the check read the archive, then replaces it (as a second writer would)
        dev.pgbackup.common.Wiring w = f.stack.wiringOf(RestoreWorkerHandler.class);
        dev.pgbackup.common.storage.ArchiveStorage real = w.archives;
        java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
        dev.pgbackup.common.storage.ArchiveStorage replacing = new dev.pgbackup.common.storage.ArchiveStorage() {
            @Override
            public Uploaded upload(String key, java.io.InputStream body, dev.pgbackup.common.time.Deadline deadline,
                                   Runnable onFailure) throws IOException {
                return real.upload(key, body, deadline, onFailure);
            }

            @Override
            public Uploaded download(String key, String eTag, java.nio.file.Path file,
                                     dev.pgbackup.common.time.Deadline deadline) throws IOException {
                replace(key); // between the check and the download: the pinned ETag no longer matches
                return real.download(key, eTag, file, deadline);
            }

            @Override
            public Reading open(String key, String eTag) {
                int n = opens.incrementAndGet();
                boolean swap = mode.equals("swap");
                if (swap && n == 2) {
                    replace(key); // between the --list check and the restore's read
                }
                Reading reading = real.open(key, eTag);
                if (swap || n != 1) {
                    return reading;
                }
                // in-place: once the whole-file check has read it, before the target is dropped
                return new Reading() {
                    @Override
                    public java.io.InputStream stream() {
                        return reading.stream();
                    }

                    @Override
                    public long length() {
                        return reading.length();
                    }

                    @Override
                    public void abort() {
                        reading.abort();
                    }

                    @Override
                    public void close() {
                        reading.close();
                        replace(key);
                    }
                };
            }

            private void replace(String key) {
                f.stack.s3.putObject(b -> b.bucket(f.stack.bucket).key(key), RequestBody.fromBytes(
                        BackupFiles.dump(pg, f.target)));
            }
        };
        dev.pgbackup.common.Wiring wiring = new dev.pgbackup.common.Wiring(w.config, w.clock, w.ticker, w.audit,
                w.objects, replacing, w.secrets, () -> (fn, payload) -> { });
        Map<String, Object> result = new RestoreWorkerHandler(wiring).handleRequest(startJob(f, f.productionBackup),
                new TestContext(Duration.ofMinutes(15)));

        assertEquals("FAILED", result.get("status"), String.valueOf(result.get("message")));
        String message = (String) result.get("message");
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
    }

    @Test
    void aSwapInterruptedBetweenItsRenamesIsRepairedByTheNextRestore() throws Exception {
        Fixture f = new Fixture();
        // what a worker killed between the two renames leaves: the target renamed away, the restored copy built
        String old = DatabaseNames.base(f.target) + "_pre_restore_20260101_000000";
        String fresh = DatabaseNames.base(f.target) + "_restore_20260101_000000";
        pg.admin("alter database " + DatabaseNames.quoteIdent(f.target) + " rename to " + DatabaseNames.quoteIdent(old));
        pg.admin("create database " + DatabaseNames.quoteIdent(fresh) + " owner " + TestPostgres.APP_USER);
        // which the killed worker had journalled when it created it
        new CreatedDatabases(f.stack.wiring.objects, f.stack.wiring.keys, Clock.systemUTC()).add(fresh,
                RestoreDrillIT.oid(fresh), CreatedDatabases.Kind.RESTORING, f.target, "33333333-3333-3333-3333-333333333333");
        new dev.pgbackup.common.storage.Records(f.stack.wiring.objects).write(f.stack.wiring.keys.swapJournal(),
                Map.of("jobId", "33333333-3333-3333-3333-333333333333", "target", f.target, "fresh", fresh, "old", old,
                        "startedAt", Instant.now().toString()));
        assertFalse(pg.databaseExists(f.target));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        String details = f.jobs().get(0).details();
        assertTrue(details.contains("repaired the swap of job 33333333-3333-3333-3333-333333333333"), details);
        assertTrue(details.contains("dropped '" + fresh + "'"), details);
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        // the original came back under its name, then was kept as this restore's pre-restore copy
        List<String> copies = pg.databases(DatabaseNames.base(f.target) + "_pre_restore_");
        assertEquals(1, copies.size(), copies.toString());
        assertEquals(f.stagingSnapshot, pg.snapshot(copies.get(0)));
        assertFalse(f.keys("pgbackup/state/").contains(f.stack.wiring.keys.swapJournal()));
        f.assertNoLeftovers();
    }

    // ---------------------------------------------------------------- parallel restores (download, --jobs)

    static final Map<String, String> PARALLEL = Map.of("RESTORE_JOBS", "2");

    /**
     * Downloads that appeared since {@code before} and are still there. Only new ones count: /tmp is shared
     * with whatever else runs on the machine (another build, a benchmark), whose files may come and go.
     */
    static List<Path> newDownloadsSince(List<Path> before) throws IOException {
        return leftoverDownloads().stream().filter(p -> !before.contains(p)).toList();
    }

    static List<Path> leftoverDownloads() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(p -> p.getFileName().toString().startsWith("restore-")
                    && p.getFileName().toString().endsWith(".dump")).toList();
        }
    }

    @Test
    void aParallelRestoreDownloadsVerifiesAndRestoresWithJobsRowForRow() throws Exception {
        List<Path> before = leftoverDownloads();
        Fixture f = new Fixture(PARALLEL);
        writeProductionManifest(f, f.productionBackup, sha256(productionDump), productionDump.length);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        JobRecord job = f.jobs().get(0);
        assertTrue(job.details().contains("with 2 jobs from a downloaded copy"), job.details());
        assertTrue(job.details().contains("restore mode: 2 jobs as RESTORE_JOBS=2 asks (2 TABLE DATA, "), job.details());
        assertTrue(job.details().contains("checksum verified"), job.details());
        for (String step : List.of("plan", "check", "connect", "download", "pg_restore", "swap")) {
            assertTrue(job.timings().containsKey(step), step + " in " + job.timings());
        }
        assertEquals(List.of(), newDownloadsSince(before), "the downloaded copy is gone");
        f.assertNoLeftovers();
    }

    /**
     * Left to choose (RESTORE_JOBS=0), the worker streams an archive of two tables: too little independent work for
     * two jobs (or, on a one-vCPU machine, one job), and the job's details say why.
     */
    @Test
    void aRestoreLeftToChooseStreamsAnArchiveOfFewTablesAndSaysWhy() throws Exception {
        Fixture f = new Fixture(Map.of("RESTORE_JOBS", "0"));
        writeProductionManifest(f, f.productionBackup, sha256(productionDump), productionDump.length);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        JobRecord job = f.jobs().get(0);
        assertTrue(job.details().contains("streamed from S3"), job.details());
        assertTrue(job.details().contains("restore mode: streamed, 2 TABLE DATA, 2 INDEX, 3 CONSTRAINT, 1 FK CONSTRAINT "
                + "entries are too little independent work for ")
                || job.details().contains("restore mode: streamed, the worker has one vCPU"), job.details());
        assertFalse(job.timings().containsKey("download"), job.timings().toString());
        f.assertNoLeftovers();
    }

    /** A 500 whose message starts as given and says the target was not changed, which it was not; nothing left. */
    static void assertFailedWithTargetUnchanged(Fixture f, APIGatewayV2HTTPResponse response, String start,
                                                List<Path> downloadsBefore) throws Exception {
        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertTrue(message.startsWith(start), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), newDownloadsSince(downloadsBefore));
        f.assertNoLeftovers();
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"truncated in the data", "corrupt data block"})
    void aBrokenArchiveRestoredInParallelLeavesTheTargetAsItWas(String how) throws Exception {
        List<Path> before = leftoverDownloads();
        Fixture f = new Fixture(PARALLEL);
        String broken = BackupFiles.name("production", Instant.now().minus(Duration.ofHours(1)));
        BackupFiles.upload(f.stack.s3, f.stack.bucket, broken, corrupted(how));

        APIGatewayV2HTTPResponse response = f.restore(broken);

        assertFailedWithTargetUnchanged(f, response, "Restore failed: pg_restore exited with code 1: ", before);
    }

    @Test
    void aDownloadThatDoesNotMatchTheRecordedChecksumNeverReachesPgRestore() throws Exception {
        Fixture f = new Fixture(PARALLEL);
        byte[] other = productionDump.clone();
        other[other.length / 3] ^= 1;
        writeProductionManifest(f, f.productionBackup, sha256(other), productionDump.length);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertTrue(message.contains("does not match the checksum recorded when it was written"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        f.assertNoLeftovers();
    }

    @Test
    void s3FailingDuringTheDownloadLeavesTheTargetAndNoFile() throws Exception {
        List<Path> before = leftoverDownloads();
        try (FaultProxy proxy = FaultProxy.start(dev.pgbackup.testsupport.MotoServer.get().endpoint())) {
            Fixture f = new Fixture(PARALLEL, Clock.systemUTC(), true, null, proxy.endpoint());
            // the --list check reads it once; every read of the download fails
            FaultProxy.Rule cut = proxy.when(FaultProxy.s3("GET", java.util.regex.Pattern.quote(f.productionBackup), null))
                    .afterPasses(1).respondS3Error(500, "InternalError", "simulated");

            APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

            assertTrue(cut.injected() >= 1);
            assertFailedWithTargetUnchanged(f, response, "Restore failed: reading the backup from S3 failed", before);
        }
    }

    @Test
    void theJobReportsItsPhaseAndProgressWhileItRuns() throws Exception {
        // a pg_restore that is slow to start reading, so the job is seen mid-way
        Path tools = FakeTools.wrapping("pg_restore", "for a in \"$@\"; do case \"$a\" in --dbname=*) sleep 4;; esac; done\n"
                + "exec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString(), "WAIT_BUDGET_SECONDS", "0"));

        APIGatewayV2HTTPResponse started = f.restore(f.productionBackup);

        assertEquals(202, started.getStatusCode(), started.getBody());
        String jobId = (String) bodyOf(started).get("jobId");
        JobRecord.Progress seen = Waits.until(Duration.ofSeconds(60), "a progress report", () -> f.stack.wiring.jobs
                .find(jobId).map(JobRecord::progress).filter(p -> "restoring data".equals(p.phase())).orElse(null));
        assertEquals(Long.valueOf(productionDump.length), seen.bytesTotal());
        JobRecord done = Waits.until(Duration.ofMinutes(2), "the job to finish",
                () -> f.stack.wiring.jobs.find(jobId).filter(JobRecord::finished).orElse(null));
        assertEquals(JobRecord.Status.SUCCEEDED, done.status(), done.message());
        assertEquals(null, done.progress(), "a finished job has no progress, only its outcome and timings");
        f.stack.awaitWorkers();
        f.assertNoLeftovers();
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
