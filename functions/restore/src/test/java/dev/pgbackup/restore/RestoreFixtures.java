package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.Json;
import dev.pgbackup.restore.api.RestoreApiHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;

/**
 * What the restore integration tests share: the production database seeded once, its dump and snapshot, and a
 * staging {@link Fixture} (its own bucket, its own freshly seeded staging database, the worker run in-process).
 * The *IT classes extend it to use these as their own.
 */
abstract class RestoreFixtures {
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
            this(overrides, clock, recentStagingBackup, targetName,
                    dev.pgbackup.testsupport.MotoServer.get().endpoint());
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
                BackupFiles.upload(stack.s3, bucket, BackupFiles.name("staging", Instant.now()),
                        BackupFiles.dump(pg, target));
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
            return Json.MAPPER.readValue(json, new TypeReference<Map<String, Object>>() {});
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

    // ---------------------------------------------------------------- broken archives

    static byte[] corrupted(String how) {
        byte[] dump = productionDump.clone();
        return switch (how) {
            case "not an archive" ->
                "this is not a pg_dump archive, just text\n".repeat(100).getBytes(StandardCharsets.UTF_8);
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
}
