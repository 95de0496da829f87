package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.backup.BackupApiHandler;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.Hashes;
import dev.pgbackup.common.Json;
import dev.pgbackup.restore.RestoreApiHandler;
import dev.pgbackup.restore.RestoreDrillHandler;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.FaultProxy;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * Encrypted backups end to end, through the real handlers, a real PostgreSQL, the layer's pg_dump/pg_restore and
 * moto's S3, SSM and KMS over HTTP: production backs up under its own KMS key (SSE-KMS, optionally client-side
 * encryption as well), staging restores it row for row. The refusals (a key that does not exist, S3 or KMS
 * refusing the key, an archive of another environment under a production name) fail cleanly: no object, no open
 * upload, the target database unchanged, the lock released. Moto's S3 stores SSE-KMS headers without asking KMS,
 * and its KMS does not refuse disabled keys, so S3's and KMS's refusals of a key are answered by a
 * {@link FaultProxy} with the errors AWS documents.
 */
class EncryptionIT {
    static final String PRODUCTION_DB = "enc_production";
    /** Over one 8 MiB part, so that its upload is a multipart upload (smaller streams become one PutObject). */
    static final String BIG_DB = "enc_production_big";
    static TestPostgres pg;
    static Map<String, List<String>> productionSnapshot;
    static Map<String, List<String>> bigSnapshot;

    @BeforeAll
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
        try (KmsClient kms = new dev.pgbackup.common.AwsClients(java.util.Optional.of(MotoServer.get().endpoint()), true)
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
            stack.worker(stack.env.get("BACKUP_WORKER_FUNCTION"), (payload, context) ->
                    stack.handler(BackupWorkerHandler.class).handleRequest(map(payload), context));
            stack.worker(stack.env.get("RESTORE_WORKER_FUNCTION"), (payload, context) ->
                    stack.handler(RestoreWorkerHandler.class).handleRequest(map(payload), context));
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
                    "/api/setting/restore", auth(), "{\"filename\":\"" + filename + "\",\"passkey\":\"" + TestStack.PASSKEY
                            + "\"}"), new TestContext(Duration.ofSeconds(30)));
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
            Map<String, String> readers = new HashMap<>(Map.of("BackupKeyReaderRoleArns", this.staging.stack.restoreRoles()));
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

    @Test
    void aBackupIsWrittenUnderItsEnvironmentsKeyAndRestoresRowForRow() {
        try (FaultProxy recorder = FaultProxy.start(MotoServer.get().endpoint())) {
            Pair p = new Pair(Map.of(), Map.of(), MotoServer.get().endpoint(), BIG_DB, recorder.endpoint());
            String filename = p.production.backedUp();
            // what S3 is asked for when the multipart upload starts (moto keeps the key, not the Bucket Key flag)
            List<FaultProxy.Request> creates = recorder.requests(FaultProxy.s3("POST", java.util.regex.Pattern.quote(filename),
                    "uploads"));
            assertEquals(1, creates.size(), "one multipart upload: " + recorder.requests());
            assertEquals("aws:kms", creates.get(0).header("x-amz-server-side-encryption"));
            assertEquals(p.productionKey, creates.get(0).header("x-amz-server-side-encryption-aws-kms-key-id"));
            assertEquals("true", creates.get(0).header("x-amz-server-side-encryption-bucket-key-enabled"));
            assertSseKmsAndRestorable(p, filename);
        }
    }

    private static void assertSseKmsAndRestorable(Pair p, String filename) {
        HeadObjectResponse head = p.production.stack.s3.headObject(b -> b.bucket(p.bucket).key(filename));
        assertTrue(head.eTag().matches("\"?[0-9a-f]{32}-[2-9]\"?"), "a multipart upload of several parts: " + head.eTag());
        assertEquals(ServerSideEncryption.AWS_KMS, head.serverSideEncryption());
        assertEquals(p.productionKey, head.ssekmsKeyId());
        List<String> records = p.production.keys("pgbackup/manifests/pharmatracker-production/");
        assertEquals(List.of(".counts.json.gz", ".globals.sql", ".on-demand.json"), records.stream().map(k -> k.substring(
                k.lastIndexOf(".dump") + 5)).sorted().toList(), "the row counts, the roles and the manifest: " + records);
        for (String key : records) {
            HeadObjectResponse recordHead = p.production.stack.s3.headObject(b -> b.bucket(p.bucket).key(key));
            assertEquals(ServerSideEncryption.AWS_KMS, recordHead.serverSideEncryption(), key);
            assertEquals(p.productionKey, recordHead.ssekmsKeyId(), key);
            assertTrue(recordHead.bucketKeyEnabled(), "the S3 Bucket Key saves a KMS call per object");
        }
        Map<String, Object> manifest = p.production.manifest("production", filename);
        assertEquals(p.productionKey, manifest.get("kmsKeyId"));
        assertNull(manifest.get("encryption"), "S3 holds pg_dump's archive itself");
        byte[] object = p.production.object(filename);
        assertArrayEquals("PGDMP".getBytes(StandardCharsets.US_ASCII), java.util.Arrays.copyOf(object, 5));

        p.staging.backedUp(); // the safety backup, under staging's own key
        APIGatewayV2HTTPResponse restored = p.staging.restore(filename);
        assertEquals(200, restored.getStatusCode(), restored.getBody());
        assertEquals(bigSnapshot, pg.snapshot(p.target), "staging now holds production's rows");
        assertTrue(p.production.stack.audit().contains("SSE-KMS " + p.productionKey), p.production.stack.audit());
    }

    @ParameterizedTest(name = "RESTORE_JOBS={0}")
    @ValueSource(strings = {"1", "2"})
    void aClientSideEncryptedBackupIsNoArchiveInS3AndRestoresRowForRow(String jobs) throws Exception {
        Pair p = new Pair(CLIENT_SIDE, Map.of("RESTORE_JOBS", jobs), MotoServer.get().endpoint(), BIG_DB);
        String filename = p.production.backedUp();

        HeadObjectResponse head = p.production.stack.s3.headObject(b -> b.bucket(p.bucket).key(filename));
        assertTrue(head.eTag().matches("\"?[0-9a-f]{32}-[2-9]\"?"), "a multipart upload of several parts: " + head.eTag());
        assertEquals(ServerSideEncryption.AWS_KMS, head.serverSideEncryption());
        assertEquals(p.productionKey, head.ssekmsKeyId());
        byte[] object = p.production.object(filename);
        assertNotEquals("PGDMP", new String(object, 0, 5, StandardCharsets.US_ASCII), "S3 holds no readable archive");
        assertEquals(2, object[0], "an AWS Encryption SDK message, format version 2 (key commitment)");
        Map<String, Object> manifest = p.production.manifest("production", filename);
        assertEquals("aws-encryption-sdk", manifest.get("encryption"));
        assertEquals(p.productionKey, manifest.get("kmsKeyId"));
        assertEquals(Hashes.hex(java.security.MessageDigest.getInstance("SHA-256").digest(object)), manifest.get("sha256"),
                "the checksum is of what S3 holds");
        assertEquals((long) object.length, ((Number) manifest.get("bytes")).longValue());

        p.staging.backedUp();
        APIGatewayV2HTTPResponse restored = p.staging.restore(filename);
        assertEquals(200, restored.getStatusCode(), restored.getBody());
        assertEquals(bigSnapshot, pg.snapshot(p.target), "staging now holds production's rows");
        String audit = p.staging.stack.audit();
        assertTrue(audit.contains("\"jobs\":" + jobs), "restored with " + jobs + " pg_restore job(s): " + audit);
        assertDataKeyNowhere(object, p);
    }

    /** The archive's data key (from its header, decrypted by KMS here) is in no log line and no job record. */
    private static void assertDataKeyNowhere(byte[] archive, Pair p) {
        com.amazonaws.encryptionsdk.ParsedCiphertext parsed = new com.amazonaws.encryptionsdk.ParsedCiphertext(archive);
        byte[] encrypted = parsed.getEncryptedKeyBlobs().get(0).getEncryptedDataKey();
        byte[] dataKey;
        try (KmsClient kms = new dev.pgbackup.common.AwsClients(java.util.Optional.of(MotoServer.get().endpoint()), true)
                .kms()) {
            dataKey = kms.decrypt(b -> b.ciphertextBlob(software.amazon.awssdk.core.SdkBytes.fromByteArray(encrypted))
                    .encryptionContext(parsed.getEncryptionContextMap())).plaintext().asByteArray();
        }
        assertEquals(32, dataKey.length, "an AES-256 data key");
        StringBuilder everything = new StringBuilder(p.production.stack.audit()).append(p.staging.stack.audit());
        for (Env env : List.of(p.production, p.staging)) {
            for (String key : env.keys("pgbackup/")) {
                everything.append(new String(env.object(key), StandardCharsets.UTF_8));
            }
        }
        for (String form : List.of(java.util.Base64.getEncoder().encodeToString(dataKey), Hashes.hex(dataKey))) {
            assertFalse(everything.toString().contains(form), "the data key leaked");
        }
    }

    @Test
    void theCliDecryptsWhatTheProductEncryptedAndPgRestoreReadsIt() throws Exception {
        Pair p = new Pair(CLIENT_SIDE);
        String filename = p.production.backedUp();
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("cli-decrypt");
        java.nio.file.Path encrypted = dir.resolve(filename);
        java.nio.file.Path plain = dir.resolve("plain.dump");
        java.nio.file.Files.write(encrypted, p.production.object(filename));

        // docs/restore.md's by-hand command, against moto
        ProcessBuilder cli = new ProcessBuilder(dev.pgbackup.testsupport.RepoPaths.root()
                .resolve(".venv/bin/aws-encryption-cli").toString(), "--decrypt", "--input", encrypted.toString(),
                "--output", plain.toString(), "--wrapping-keys", "key=" + p.productionKey,
                "--encryption-context", "app=pharmatracker", "environment=production", "filename=" + filename,
                "--commitment-policy", "require-encrypt-require-decrypt", "--max-encrypted-data-keys", "1", "-S");
        cli.environment().putAll(Map.of("AWS_ENDPOINT_URL", MotoServer.get().endpoint().toString(),
                "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test", "AWS_DEFAULT_REGION", "us-east-1"));
        assertEquals(0, run(cli).code(), "aws-encryption-cli --decrypt");
        byte[] head = java.util.Arrays.copyOf(java.nio.file.Files.readAllBytes(plain), 5);
        assertArrayEquals("PGDMP".getBytes(StandardCharsets.US_ASCII), head, "the plaintext is pg_dump's archive");

        String scratch = "enc_by_hand_" + UUID.randomUUID().toString().substring(0, 8);
        pg.admin("create database " + scratch + " owner " + TestPostgres.APP_USER);
        ProcessBuilder restore = new ProcessBuilder(dev.pgbackup.testsupport.RepoPaths.pgTool(16, "pg_restore")
                .toString(), "--no-owner", "--no-acl", "--exit-on-error", "-h", "127.0.0.1",
                "-p", Integer.toString(pg.port()), "-U", TestPostgres.APP_USER, "-d", scratch, plain.toString());
        restore.environment().put("PGPASSWORD", TestPostgres.APP_PASSWORD);
        restore.environment().put("LD_LIBRARY_PATH", dev.pgbackup.testsupport.RepoPaths.pgToolsDir().resolve("lib").toString());
        assertEquals(0, run(restore).code(), "pg_restore of the decrypted archive");
        assertEquals(productionSnapshot, pg.snapshot(scratch), "decrypted by hand, restored row for row");

        // the CLI refuses the same file under another environment's context: it warns, writes nothing (and exits 0)
        java.nio.file.Path other = dir.resolve("other.dump");
        ProcessBuilder wrong = new ProcessBuilder(cli.command());
        wrong.command().set(wrong.command().indexOf(plain.toString()), other.toString());
        wrong.command().set(wrong.command().indexOf("environment=production"), "environment=staging");
        wrong.environment().putAll(cli.environment());
        Ran refused = run(wrong);
        assertTrue(refused.output().contains("Skipping decrypt because discovered encryption context did not match "
                + "required elements"), refused.output());
        assertFalse(java.nio.file.Files.exists(other), "nothing decrypted");
    }

    @Test
    void aKeyThatDoesNotExistFailsTheBackupAndLeavesNothing() {
        String missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000";
        Pair p = new Pair(Map.of("BACKUP_KMS_KEY_ID", missing, "CLIENT_SIDE_ENCRYPTION", "true"));
        APIGatewayV2HTTPResponse r = p.production.backup();
        assertEquals(500, r.getStatusCode(), r.getBody());
        assertEquals("Backup failed: the backup could not be encrypted with production's KMS key " + missing + " (the key "
                + "is disabled, scheduled for deletion or missing, or its policy does not grant this stack's backup "
                + "worker) (no backup was written)", map(r.getBody()).get("message"), p.production.stack.audit());
        assertNothingWritten(p.production);
    }

    @Test
    void aPgDumpThatFailsAfterWritingIsNoBackupEvenEncrypted() {
        // the encryption sits between pg_dump and the upload: pg_dump's failure must still reach the upload as one
        java.nio.file.Path tools = dev.pgbackup.testsupport.FakeTools.wrapping("pg_dump",
                "\"$REAL\" \"$@\" | head -c 300000; echo 'pg_dump: error: simulated failure' >&2; exit 1");
        Pair p = new Pair(Map.of("CLIENT_SIDE_ENCRYPTION", "true", "PG_TOOLS_DIR", tools.toString()));
        APIGatewayV2HTTPResponse r = p.production.backup();
        assertEquals(500, r.getStatusCode(), r.getBody());
        String message = (String) map(r.getBody()).get("message");
        assertTrue(message.startsWith("Backup failed: pg_dump exited with code 1: "), message);
        assertTrue(message.endsWith("(no backup was written; details in job " + map(r.getBody()).get("jobId") + ")"),
                message);
        assertNothingWritten(p.production);
    }

    @Test
    void s3RefusingTheKeyFailsTheBackupAndLeavesNothing() {
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            // what S3 answers when the key is disabled (moto's S3 does not ask KMS)
            FaultProxy.Rule rule = proxy.when(r -> r.key() != null && r.key().endsWith(".dump")
                    && (("POST".equals(r.method()) && r.hasQueryParam("uploads"))
                        || ("PUT".equals(r.method()) && !r.hasQueryParam("partNumber"))))
                    .respondS3Error(400, "KMS.DisabledException", "arn:aws:kms:us-east-1:123456789012:key/x is disabled.");
            String bucket = "enc-" + UUID.randomUUID().toString().substring(0, 8);
            TestStack.createBucket(bucket);
            String key = newKey();
            Env production = new Env("production", bucket, PRODUCTION_DB, Map.of("BACKUP_KMS_KEY_ID", key), proxy.endpoint());
            APIGatewayV2HTTPResponse r = production.backup();
            assertEquals(500, r.getStatusCode(), r.getBody());
            assertEquals("Backup failed: S3 refused the upload because of the KMS key " + key + " (KMS.DisabledException): "
                    + "the key is disabled, scheduled for deletion or missing, or its policy does not grant this stack's "
                    + "backup worker (no backup was written)", map(r.getBody()).get("message"), production.stack.audit());
            assertTrue(rule.injected() >= 1);
            assertNothingWritten(production);
        }
    }

    private static void assertNothingWritten(Env env) {
        assertEquals(List.of(), env.keys("pharmatracker-production-on-"), "no backup object");
        assertEquals(List.of(), env.keys("pgbackup/manifests/"), "no manifest");
        assertTrue(env.stack.s3.listMultipartUploads(b -> b.bucket(env.stack.bucket)).uploads().isEmpty(), "no open upload");
        assertEquals(List.of(), env.keys("pgbackup/locks/"), "lock released");
    }

    static final String KMS_DENIED = "User: arn:aws:sts::123456789012:assumed-role/staging-restore/fn is not authorized "
            + "to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/x because no resource-based "
            + "policy allows the kms:Decrypt action";

    @Test
    void theRestoreApiRefusesABackupWhoseKeyThisStackMayNotUse() {
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            Pair p = new Pair(Map.of(), Map.of(), proxy.endpoint());
            String filename = p.production.backedUp();
            p.staging.backedUp();
            proxy.when(FaultProxy.s3("GET", java.util.regex.Pattern.quote(filename), null))
                    .respondS3Error(403, "AccessDenied", KMS_DENIED);
            APIGatewayV2HTTPResponse r = p.staging.restore(filename);
            assertEquals(403, r.getStatusCode(), r.getBody());
            assertEquals("Backup file " + filename + " is encrypted with production's KMS key, which this stack may not use "
                    + "(the key policy must grant this stack's restore role kms:Decrypt)", map(r.getBody()).get("message"),
                    p.staging.stack.audit());
            assertEquals(1, p.staging.keys("pgbackup/jobs/pharmatracker-staging/").size(), "no restore job beside the "
                    + "safety backup's");
            p.assertStagingUntouched();
        }
    }

    @Test
    void theRestoreWorkerRefusesAnSseKmsBackupItsKeyDeniesBeforeTouchingTheTarget() {
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            Pair p = new Pair(Map.of(), Map.of(), proxy.endpoint());
            String filename = p.production.backedUp();
            p.staging.backedUp();
            // the API's first-byte read passes; the worker's reads of the archive are refused by KMS
            proxy.when(r -> "GET".equals(r.method()) && filename.equals(r.key()) && r.header("range") == null)
                    .respondS3Error(403, "AccessDenied", KMS_DENIED);
            APIGatewayV2HTTPResponse r = p.staging.restore(filename);
            assertEquals(500, r.getStatusCode(), r.getBody());
            assertEquals("Backup file " + filename + " is encrypted with production's KMS key, which this stack may not use "
                    + "(the key policy must grant this stack's restore role kms:Decrypt). The database '" + p.target
                    + "' was not changed", map(r.getBody()).get("message"),
                    p.staging.stack.audit());
            p.assertStagingUntouched();
        }
    }

    @Test
    void kmsRefusingTheDataKeyOfAClientSideEncryptedBackupLeavesTheTargetAsItWas() {
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            Pair p = new Pair(CLIENT_SIDE, Map.of(), proxy.endpoint());
            String filename = p.production.backedUp();
            p.staging.backedUp();
            FaultProxy.Rule denied = proxy.when(FaultProxy.ssm("TrentService.Decrypt"))
                    .respondSsmError(400, "AccessDeniedException", KMS_DENIED);
            APIGatewayV2HTTPResponse r = p.staging.restore(filename);
            assertEquals(500, r.getStatusCode(), r.getBody());
            assertEquals("Backup file " + filename + " is encrypted with production's KMS key, which this stack may not use "
                    + "(the key policy must grant this stack's restore role kms:Decrypt). The database '" + p.target
                    + "' was not changed", map(r.getBody()).get("message"),
                    p.staging.stack.audit());
            assertTrue(denied.injected() >= 1, "KMS was asked for the data key");
            p.assertStagingUntouched();
        }
    }

    @Test
    void anArchiveOfAnotherEnvironmentUnderAProductionNameIsRefusedBeforeTheTargetIsTouched() {
        Pair p = new Pair(CLIENT_SIDE, CLIENT_SIDE, MotoServer.get().endpoint());
        String stagingBackup = p.staging.backedUp();
        String planted = dev.pgbackup.testsupport.BackupFiles.name("production",
                java.time.Instant.now().minus(Duration.ofHours(2)));
        upload(p.production, planted, p.staging.object(stagingBackup)); // staging's encrypted archive, renamed
        APIGatewayV2HTTPResponse r = p.staging.restore(planted);
        assertEquals(500, r.getStatusCode(), r.getBody());
        assertEquals("Restore refused: backup file " + planted + " is not the encrypted archive of that name: its "
                + "encryption context names environment 'staging', not 'production'. The database '" + p.target
                + "' was not changed", map(r.getBody()).get("message"),
                    p.staging.stack.audit());
        p.assertStagingUntouched();
    }

    /** A restore drill of production's newest backup, as its schedule starts one. */
    static Map<String, Object> drill(Env env) {
        return env.stack.handler(RestoreDrillHandler.class).handleRequest(Map.of(), new TestContext(Duration.ofMinutes(15)));
    }

    @Test
    void aRestoreDrillDecryptsAClientSideEncryptedBackupAndComparesItsRowCounts() {
        Pair p = new Pair(CLIENT_SIDE);
        String filename = p.production.backedUp();
        Map<String, Object> manifest = p.production.manifest("production", filename);
        assertEquals("aws-encryption-sdk", manifest.get("encryption"));
        assertEquals(p.productionKey, manifest.get("kmsKeyId"));
        assertEquals(2, manifest.get("countedTables"));
        var catalog = p.production.stack.wiring.catalog;
        var backup = catalog.find(filename).orElseThrow();
        assertEquals(Map.of("public.customers", 200L, "public.orders", 1500L), catalog.rowCounts(backup,
                catalog.manifest(backup).orElseThrow()).orElseThrow(), "the counts of the dumped snapshot beside the "
                + "encryption");

        Map<String, Object> result = drill(p.production);

        assertEquals("SUCCEEDED", result.get("status"), result::toString);
        String message = (String) result.get("message");
        assertTrue(message.matches("Restore drill passed: restored " + java.util.regex.Pattern.quote(filename)
                + " into a scratch database on the environment's server: \\d+ tables, row counts equal, "
                + "\\d+\\.\\d s; dropped"), message);
        assertEquals(List.of(), pg.databases(PRODUCTION_DB + "_drill"), "the scratch database was dropped");
        assertEquals(productionSnapshot, pg.snapshot(PRODUCTION_DB), "production's database is unchanged");
    }

    @Test
    void aRestoreDrillWhoseDataKeyKmsRefusesFailsBeforeAnyScratchDatabase() {
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            Pair p = new Pair(CLIENT_SIDE, Map.of(), MotoServer.get().endpoint(), PRODUCTION_DB, proxy.endpoint());
            String filename = p.production.backedUp();
            FaultProxy.Rule denied = proxy.when(FaultProxy.ssm("TrentService.Decrypt"))
                    .respondSsmError(400, "AccessDeniedException", KMS_DENIED);

            Map<String, Object> result = drill(p.production);

            assertEquals("FAILED", result.get("status"), result::toString);
            assertEquals("Restore drill failed: Backup file " + filename + " is encrypted with production's KMS key, "
                    + "which this stack may not use (the key policy must grant this stack's restore role kms:Decrypt) "
                    + "(backup " + filename + "); no scratch database was created", result.get("message"));
            assertTrue(denied.injected() >= 1, "KMS was asked for the data key");
            assertEquals(List.of(), pg.databases(PRODUCTION_DB + "_drill"), "no scratch database");
            assertEquals(productionSnapshot, pg.snapshot(PRODUCTION_DB), "production's database is unchanged");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"backup", "restore"})
    void onlyTheWorkersJarCarriesTheEncryptionSdk(String module) throws IOException {
        java.nio.file.Path target = dev.pgbackup.testsupport.RepoPaths.root().resolve("functions/" + module + "/target");
        String version = RuntimeEmulatorIT.projectVersion();
        for (String prefix : List.of("com/amazonaws/encryptionsdk/", "software/amazon/cryptography/",
                "org/bouncycastle/", "software/amazon/awssdk/services/kms/")) {
            assertTrue(entries(target.resolve(module + "-" + version + "-lambda.jar"), prefix) > 0, "the worker has " + prefix);
            assertEquals(0, entries(target.resolve(module + "-" + version + "-api.jar"), prefix), "the API has no " + prefix);
        }
        assertTrue(entries(target.resolve(module + "-" + version + "-api.jar"), "dev/pgbackup/") > 0);
    }

    private static long entries(java.nio.file.Path jar, String prefix) throws IOException {
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
            return zip.stream().filter(e -> e.getName().startsWith(prefix)).count();
        }
    }

    record Ran(int code, String output) {
    }

    private static Ran run(ProcessBuilder process) throws IOException, InterruptedException {
        process.redirectErrorStream(true);
        Process p = process.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        if (code != 0) {
            System.err.println(process.command().get(0) + " said: " + output);
        }
        return new Ran(code, output);
    }

    private static Map<String, Object> map(String json) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void upload(Env env, String key, byte[] body) {
        env.stack.s3.putObject(b -> b.bucket(env.stack.bucket).key(key), RequestBody.fromBytes(body));
    }
}
