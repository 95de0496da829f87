package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.backup.BackupApiHandler;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.Json;
import dev.pgbackup.restore.api.RestoreApiHandler;
import dev.pgbackup.restore.drill.RestoreDrillHandler;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * What {@link EncryptionIT} (encrypted backups written and restored) and {@link EncryptionRefusalsIT} (the refusals)
 * share: production's seeded databases, one environment's stack ({@link Env}) and a production/staging pair under
 * their own keys ({@link Pair}). In a class of its own so that each IT holds one concern.
 */
final class EncryptionFixture {
    static final String PRODUCTION_DB = "enc_production";
    /** Over one 8 MiB part, so that its upload is a multipart upload (smaller streams become one PutObject). */
    static final String BIG_DB = "enc_production_big";
    static TestPostgres pg;
    static Map<String, List<String>> productionSnapshot;
    static Map<String, List<String>> bigSnapshot;

    private EncryptionFixture() {}

    /** Seeds production's databases once per JVM (both ITs call it) and takes their snapshots. */
    static void seed() {
        pg = TestPostgres.get();
        if (!pg.databaseExists(PRODUCTION_DB)) {
            pg.createDatabase(PRODUCTION_DB);
            SeedData.seed(pg, PRODUCTION_DB, 1500, "encrypted-production");
        }
        productionSnapshot = pg.snapshot(PRODUCTION_DB);
        if (!pg.databaseExists(BIG_DB)) {
            pg.createDatabase(BIG_DB);
            SeedData.seed(pg, BIG_DB, 10_000, "encrypted-production-big");
        }
        bigSnapshot = pg.snapshot(BIG_DB);
    }

    static String newKey() {
        try (KmsClient kms = new dev.pgbackup.common.AwsClients(java.util.Optional.of(MotoServer.get().endpoint()),
                true)
                .kms()) {
            return kms.createKey(b -> b.description("pgbackup test key")).keyMetadata().arn();
        }
    }

    /** One environment's stack: its bucket (shared), database, key settings, and its workers run on threads. */
    static final class Env {
        final TestStack stack;
        final String database;

        Env(String environment, String bucket, String database, Map<String, String> overrides, URI endpoint) {
            this.database = database;
            Map<String, String> env = new HashMap<>(Map.of("RESTORE_JOBS", "1"));
            env.putAll(overrides);
            this.stack = TestStack.create(environment, bucket, database, env, Clock.systemUTC(), endpoint);
            stack.worker(stack.env.get("BACKUP_WORKER_FUNCTION"), (payload, context) -> stack
                    .handler(BackupWorkerHandler.class).handleRequest(map(payload), context));
            stack.worker(stack.env.get("RESTORE_WORKER_FUNCTION"), (payload, context) -> stack
                    .handler(RestoreWorkerHandler.class).handleRequest(map(payload), context));
        }

        APIGatewayV2HTTPResponse backup() {
            APIGatewayV2HTTPResponse r = stack.handler(BackupApiHandler.class).handleRequest(ApiEvents.request("POST",
                    "/api/setting/backup", auth(), null), new TestContext(Duration.ofSeconds(30)));
            stack.awaitWorkers();
            return r;
        }

        String backedUp() {
            APIGatewayV2HTTPResponse r = backup();
            assertEquals(200, r.getStatusCode(), r.getBody());
            return (String) map(r.getBody()).get("filename");
        }

        APIGatewayV2HTTPResponse restore(String filename) {
            APIGatewayV2HTTPResponse r = stack.handler(RestoreApiHandler.class).handleRequest(ApiEvents.request("POST",
                    "/api/setting/restore", auth(),
                    "{\"filename\":\"" + filename + "\",\"passkey\":\"" + TestStack.PASSKEY
                            + "\"}"),
                    new TestContext(Duration.ofSeconds(30)));
            stack.awaitWorkers();
            return r;
        }

        Map<String, String> auth() {
            return TestStack.bearer(stack.token("ops@example.com", "WEB_ACCESS"));
        }

        List<String> keys(String prefix) {
            return stack.keys(prefix);
        }

        byte[] object(String key) {
            return stack.s3.getObjectAsBytes(b -> b.bucket(stack.bucket).key(key)).asByteArray();
        }

        Map<String, Object> manifest(String environment, String filename) {
            String key = keys("pgbackup/manifests/pharmatracker-" + environment + "/" + filename).stream()
                    .filter(k -> k.endsWith(".json")).findFirst().orElseThrow();
            return map(new String(object(key), StandardCharsets.UTF_8));
        }
    }

    /**
     * A bucket, production (its database seeded once) and staging (a fresh database) with the given settings, each
     * under the key its stack creates. Deployed as docs/deploy.md orders it: staging first, then production with
     * staging's restore roles (staging's outputs) as readers of its key, so that staging may restore production's
     * backups.
     */
    static final class Pair {
        final String bucket = "enc-" + UUID.randomUUID().toString().substring(0, 8);
        final String productionKey;
        final Env production;
        final Env staging;
        final String target = "enc_staging_" + UUID.randomUUID().toString().substring(0, 8);
        final Map<String, List<String>> stagingBefore;

        Pair(Map<String, String> production, Map<String, String> staging, URI stagingEndpoint) {
            this(production, staging, stagingEndpoint, PRODUCTION_DB);
        }

        Pair(Map<String, String> production, Map<String, String> staging, URI stagingEndpoint, String productionDb) {
            this(production, staging, stagingEndpoint, productionDb, MotoServer.get().endpoint());
        }

        Pair(Map<String, String> production, Map<String, String> staging, URI stagingEndpoint, String productionDb,
                URI productionEndpoint) {
            TestStack.createBucket(bucket);
            pg.admin("create database " + target + " owner " + TestPostgres.APP_USER);
            SeedData.seed(pg, target, 100, "staging-data");
            stagingBefore = pg.snapshot(target);
            this.staging = new Env("staging", bucket, target, staging, stagingEndpoint);
            Map<String, String> readers = new HashMap<>(
                    Map.of("BackupKeyReaderRoleArns", this.staging.stack.restoreRoles()));
            readers.putAll(production);
            this.production = new Env("production", bucket, productionDb, readers, productionEndpoint);
            this.productionKey = this.production.stack.env.get("BACKUP_KMS_KEY_ID");
        }

        Pair(Map<String, String> production) {
            this(production, Map.of(), MotoServer.get().endpoint());
        }

        /** Nothing changed in staging's database, no half-built copy, no lock left. */
        void assertStagingUntouched() {
            assertEquals(stagingBefore, pg.snapshot(target), "the target database was not changed");
            assertEquals(List.of(), pg.databases(target + "_restore"), "no half-built database");
            assertEquals(List.of(), staging.keys("pgbackup/locks/"), "lock released");
        }
    }

    static final Map<String, String> CLIENT_SIDE = Map.of("CLIENT_SIDE_ENCRYPTION", "true");

    static final String KMS_DENIED = "User: arn:aws:sts::123456789012:assumed-role/staging-restore/fn is not authorized "
            + "to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/x because no resource-based "
            + "policy allows the kms:Decrypt action";

    /** A restore drill of production's newest backup, as its schedule starts one. */
    static Map<String, Object> drill(Env env) {
        return env.stack.handler(RestoreDrillHandler.class).handleRequest(Map.of(),
                new TestContext(Duration.ofMinutes(15)));
    }

    static Map<String, Object> map(String json) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<Map<String, Object>>() {});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void upload(Env env, String key, byte[] body) {
        env.stack.s3.putObject(b -> b.bucket(env.stack.bucket).key(key), RequestBody.fromBytes(body));
    }
}
