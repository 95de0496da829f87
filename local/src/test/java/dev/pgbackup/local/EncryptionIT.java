package dev.pgbackup.local;

import static dev.pgbackup.local.EncryptionFixture.BIG_DB;
import static dev.pgbackup.local.EncryptionFixture.CLIENT_SIDE;
import static dev.pgbackup.local.EncryptionFixture.PRODUCTION_DB;
import static dev.pgbackup.local.EncryptionFixture.bigSnapshot;
import static dev.pgbackup.local.EncryptionFixture.drill;
import static dev.pgbackup.local.EncryptionFixture.pg;
import static dev.pgbackup.local.EncryptionFixture.productionSnapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Hashes;
import dev.pgbackup.local.EncryptionFixture.Env;
import dev.pgbackup.local.EncryptionFixture.Pair;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * Encrypted backups written and restored, end to end, through the real handlers, a real PostgreSQL, the layer's
 * pg_dump/pg_restore and moto's S3, SSM and KMS over HTTP: production backs up under its own KMS key (SSE-KMS,
 * optionally client-side encryption as well), staging restores it row for row, the restore drill decrypts it, and
 * the AWS Encryption CLI decrypts it by hand. The refusals are {@link EncryptionRefusalsIT}.
 */
class EncryptionIT {
    @BeforeAll
    static void seed() {
        EncryptionFixture.seed();
    }

    @Test
    void aBackupIsWrittenUnderItsEnvironmentsKeyAndRestoresRowForRow() {
        try (FaultProxy recorder = FaultProxy.start(MotoServer.get().endpoint())) {
            Pair p = new Pair(Map.of(), Map.of(), MotoServer.get().endpoint(), BIG_DB, recorder.endpoint());
            String filename = p.production.backedUp();
            // what S3 is asked for when the multipart upload starts (moto keeps the key, not the Bucket Key flag)
            List<FaultProxy.Request> creates = recorder
                    .requests(FaultProxy.s3("POST", java.util.regex.Pattern.quote(filename),
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
        assertTrue(head.eTag().matches("\"?[0-9a-f]{32}-[2-9]\"?"),
                "a multipart upload of several parts: " + head.eTag());
        assertEquals(ServerSideEncryption.AWS_KMS, head.serverSideEncryption());
        assertEquals(p.productionKey, head.ssekmsKeyId());
        List<String> records = p.production.keys("pgbackup/manifests/pharmatracker-production/");
        assertEquals(List.of(".counts.json.gz", ".globals.sql", ".on-demand.json"),
                records.stream().map(k -> k.substring(
                        k.lastIndexOf(".dump") + 5)).sorted().toList(),
                "the row counts, the roles and the manifest: " + records);
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
        assertTrue(head.eTag().matches("\"?[0-9a-f]{32}-[2-9]\"?"),
                "a multipart upload of several parts: " + head.eTag());
        assertEquals(ServerSideEncryption.AWS_KMS, head.serverSideEncryption());
        assertEquals(p.productionKey, head.ssekmsKeyId());
        byte[] object = p.production.object(filename);
        assertNotEquals("PGDMP", new String(object, 0, 5, StandardCharsets.US_ASCII), "S3 holds no readable archive");
        assertEquals(2, object[0], "an AWS Encryption SDK message, format version 2 (key commitment)");
        Map<String, Object> manifest = p.production.manifest("production", filename);
        assertEquals("aws-encryption-sdk", manifest.get("encryption"));
        assertEquals(p.productionKey, manifest.get("kmsKeyId"));
        assertEquals(Hashes.hex(java.security.MessageDigest.getInstance("SHA-256").digest(object)),
                manifest.get("sha256"),
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
        try (KmsClient kms = new dev.pgbackup.common.AwsClients(java.util.Optional.of(MotoServer.get().endpoint()),
                true)
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
        restore.environment().put("LD_LIBRARY_PATH",
                dev.pgbackup.testsupport.RepoPaths.pgToolsDir().resolve("lib").toString());
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

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"backup", "restore"})
    void onlyTheWorkersJarCarriesTheEncryptionSdk(String module) throws IOException {
        java.nio.file.Path target = dev.pgbackup.testsupport.RepoPaths.root()
                .resolve("functions/" + module + "/target");
        String version = RuntimeEmulatorFixture.projectVersion();
        for (String prefix : List.of("com/amazonaws/encryptionsdk/", "software/amazon/cryptography/",
                "org/bouncycastle/", "software/amazon/awssdk/services/kms/")) {
            assertTrue(entries(target.resolve(module + "-" + version + "-lambda.jar"), prefix) > 0,
                    "the worker has " + prefix);
            assertEquals(0, entries(target.resolve(module + "-" + version + "-api.jar"), prefix),
                    "the API has no " + prefix);
        }
        assertTrue(entries(target.resolve(module + "-" + version + "-api.jar"), "dev/pgbackup/") > 0);
    }

    private static long entries(java.nio.file.Path jar, String prefix) throws IOException {
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
            return zip.stream().filter(e -> e.getName().startsWith(prefix)).count();
        }
    }

    record Ran(int code, String output) {}

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

}
