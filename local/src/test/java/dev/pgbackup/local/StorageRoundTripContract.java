package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.backup.BackupApiHandler;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.list.ListBackupsHandler;
import dev.pgbackup.restore.api.RestoreApiHandler;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The S3 + SSM integration path, the same test against any S3/SSM endpoint (moto here; LocalStack where
 * Docker and a token exist): backup through the API handler and worker (pg_dump streamed into a
 * multipart upload), list, download (a custom-format archive), restore through the restore API and
 * worker, and the database equals what was backed up.
 */
abstract class StorageRoundTripContract {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The emulator's endpoint (path-style addressing). */
    abstract URI endpoint();

    abstract String name();

    @Test
    void aRecordLargerThan64KiBIsRefusedNotRead() {
        String bucket = "records-" + name();
        try (S3Client s3 = new AwsClients(Optional.of(endpoint()), true).s3()) {
            try {
                s3.createBucket(b -> b.bucket(bucket));
            } catch (software.amazon.awssdk.services.s3.model.S3Exception exists) {
                // the bucket of an earlier run
            }
            String key = "pgbackup/locks/pharmatracker-staging/restore.lock";
            byte[] giant = ("{\"jobId\":\"" + "x".repeat(70 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
            s3.putObject(b -> b.bucket(bucket).key(key), software.amazon.awssdk.core.sync.RequestBody.fromBytes(giant));
            var store = new dev.pgbackup.common.storage.S3ObjectStore(s3, bucket);

            dev.pgbackup.common.failure.Failure refused = org.junit.jupiter.api.Assertions.assertThrows(
                    dev.pgbackup.common.failure.Failure.class, () -> store.get(key));
            assertEquals("The record " + key + " is larger than 65536 bytes; refused", refused.getMessage());
            store.put(key, "{}".getBytes(StandardCharsets.UTF_8));
            assertEquals("{}", new String(store.get(key).orElseThrow().bytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void backupListDownloadAndRestoreRoundTrip() throws Exception {
        String bucket = "roundtrip-" + name();
        String db = "roundtrip_" + name();
        TestPostgres pg = TestPostgres.get();
        pg.dropDatabase(db);
        pg.createDatabase(db);
        SeedData.seed(pg, db, 3000, name());
        AwsClients clients = new AwsClients(Optional.of(endpoint()), true);
        Map<String, String> env = environment(bucket);
        try (S3Client s3 = clients.s3(); SsmClient ssm = clients.ssm()) {
            s3.createBucket(b -> b.bucket(bucket));
            for (String[] p : new String[][] {{env.get("DB_URL_PARAMETER"), pg.url(db)},
                    {env.get("JWT_SECRET_PARAMETER"), TestStack.jwtSecret("staging")},
                    {env.get("RESTORE_PASSKEY_PARAMETER"), TestStack.PASSKEY}}) {
                ssm.putParameter(b -> b.name(p[0]).value(p[1]).type(ParameterType.SECURE_STRING).overwrite(true));
            }
            ExecutorService pool = Executors.newCachedThreadPool();
            Wiring services = wiring(env, clients, pool);
            Map<String, String> auth = TestStack
                    .bearer(TestStack.tokenFor("staging", Clock.systemUTC(), "roundtrip", "WEB_ACCESS"));
            try {
                String before = pg.snapshot(db).toString();
                APIGatewayV2HTTPResponse backup = new BackupApiHandler(services)
                        .handleRequest(ApiEvents.request("POST", "/api/setting/backup", auth, null),
                                new TestContext(Duration.ofSeconds(30)));
                assertEquals(200, backup.getStatusCode(), backup.getBody());
                String filename = JSON.readTree(backup.getBody()).get("filename").asText();

                APIGatewayV2HTTPResponse list = new ListBackupsHandler(services)
                        .handleRequest(ApiEvents.request("GET", "/api/setting/backups", auth, null),
                                new TestContext(Duration.ofSeconds(30)));
                JsonNode listed = JSON.readTree(list.getBody());
                assertEquals(200, list.getStatusCode());
                assertEquals(1, listed.get("count").asInt());
                assertEquals(filename, listed.get("backups").get(0).get("filename").asText());
                long size = listed.get("backups").get(0).get("size").asLong();
                assertTrue(size > 1_000_000, "a few MB of dump: " + size);

                try (InputStream object = s3.getObject(b -> b.bucket(bucket).key(filename))) {
                    assertArrayEquals("PGDMP".getBytes(StandardCharsets.US_ASCII), object.readNBytes(5));
                }

                pg.execute(db, "set role app_owner; delete from orders where id % 3 = 0");
                APIGatewayV2HTTPResponse restore = new RestoreApiHandler(services).handleRequest(ApiEvents.request(
                        "POST", "/api/setting/restore", auth,
                        "{\"filename\":\"" + filename + "\",\"passkey\":\"" + TestStack.PASSKEY + "\"}"),
                        new TestContext(Duration.ofSeconds(30)));
                assertEquals(200, restore.getStatusCode(), restore.getBody());
                assertEquals(before, pg.snapshot(db).toString(), "restored database equals the backed-up one");
                assertEquals(List.of(), pg.databases(db + "_restore"), "no half-built database left");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** A staging stack's variables on {@code bucket}, its parameters under /roundtrip/<name>. */
    private Map<String, String> environment(String bucket) {
        Map<String, String> env = new HashMap<>();
        env.put("APP_NAME", TestStack.APP);
        env.put("ENVIRONMENT", "staging");
        env.put("BUCKET_NAME", bucket);
        env.put("DB_URL_PARAMETER", "/roundtrip/" + name() + "/db-url");
        env.put("JWT_SECRET_PARAMETER", "/roundtrip/" + name() + "/jwt-secret");
        env.put("RESTORE_PASSKEY_PARAMETER", "/roundtrip/" + name() + "/passkey");
        env.put("BACKUP_WORKER_FUNCTION", "backup-worker");
        env.put("RESTORE_WORKER_FUNCTION", "restore-worker");
        env.put("PG_TOOLS_DIR", RepoPaths.pgToolsDir().toString());
        env.put("WAIT_BUDGET_SECONDS", "120");
        return env;
    }

    /** The stack's services, whose worker invocations run the worker handlers on {@code pool}. */
    private Wiring wiring(Map<String, String> env, AwsClients clients, ExecutorService pool) {
        Map<String, Object> holder = new HashMap<>();
        Wiring services = Wiring.forAws(Config.from(env), clients, Clock.systemUTC(), new AuditLog(),
                () -> (fn, payload) -> pool.submit(() -> {
                    Map<String, Object> event = readPayload(payload);
                    var worker = fn.equals("backup-worker") ? (BackupWorkerHandler) holder.get("backup")
                            : (RestoreWorkerHandler) holder.get("restore");
                    if (worker instanceof BackupWorkerHandler b) {
                        b.handleRequest(event, new TestContext(Duration.ofMinutes(15)));
                    } else if (worker instanceof RestoreWorkerHandler r) {
                        r.handleRequest(event, new TestContext(Duration.ofMinutes(15)));
                    }
                }));
        holder.put("backup", new BackupWorkerHandler(services));
        holder.put("restore", new RestoreWorkerHandler(services));
        return services;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readPayload(String payload) {
        try {
            return JSON.readValue(payload, Map.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
