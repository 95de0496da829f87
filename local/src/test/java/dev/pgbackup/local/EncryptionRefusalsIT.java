package dev.pgbackup.local;

import static dev.pgbackup.local.EncryptionFixture.CLIENT_SIDE;
import static dev.pgbackup.local.EncryptionFixture.KMS_DENIED;
import static dev.pgbackup.local.EncryptionFixture.PRODUCTION_DB;
import static dev.pgbackup.local.EncryptionFixture.drill;
import static dev.pgbackup.local.EncryptionFixture.map;
import static dev.pgbackup.local.EncryptionFixture.newKey;
import static dev.pgbackup.local.EncryptionFixture.pg;
import static dev.pgbackup.local.EncryptionFixture.productionSnapshot;
import static dev.pgbackup.local.EncryptionFixture.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.local.EncryptionFixture.Env;
import dev.pgbackup.local.EncryptionFixture.Pair;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Encrypted backups refused, end to end (as {@link EncryptionIT}): a key that does not exist, S3 or KMS refusing the
 * key, an archive of another environment under a production name, each fails cleanly: no object, no open upload, the
 * target database unchanged, the lock released. Moto's S3 stores SSE-KMS headers without asking KMS, and its KMS
 * does not refuse disabled keys, so S3's and KMS's refusals of a key are answered by a {@link FaultProxy} with the
 * errors AWS documents.
 */
class EncryptionRefusalsIT {
    @BeforeAll
    static void seed() {
        EncryptionFixture.seed();
    }

    @Test
    void aKeyThatDoesNotExistFailsTheBackupAndLeavesNothing() {
        String missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000";
        Pair p = new Pair(Map.of("BACKUP_KMS_KEY_ID", missing, "CLIENT_SIDE_ENCRYPTION", "true"));
        APIGatewayV2HTTPResponse r = p.production.backup();
        assertEquals(500, r.getStatusCode(), r.getBody());
        assertEquals("Backup failed: the backup could not be encrypted with production's KMS key " + missing
                + " (the key "
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
                    .respondS3Error(400, "KMS.DisabledException",
                            "arn:aws:kms:us-east-1:123456789012:key/x is disabled.");
            String bucket = "enc-" + UUID.randomUUID().toString().substring(0, 8);
            TestStack.createBucket(bucket);
            String key = newKey();
            Env production = new Env("production", bucket, PRODUCTION_DB, Map.of("BACKUP_KMS_KEY_ID", key),
                    proxy.endpoint());
            APIGatewayV2HTTPResponse r = production.backup();
            assertEquals(500, r.getStatusCode(), r.getBody());
            assertEquals("Backup failed: S3 refused the upload because of the KMS key " + key
                    + " (KMS.DisabledException): "
                    + "the key is disabled, scheduled for deletion or missing, or its policy does not grant this stack's "
                    + "backup worker (no backup was written)", map(r.getBody()).get("message"),
                    production.stack.audit());
            assertTrue(rule.injected() >= 1);
            assertNothingWritten(production);
        }
    }

    private static void assertNothingWritten(Env env) {
        assertEquals(List.of(), env.keys("pharmatracker-production-on-"), "no backup object");
        assertEquals(List.of(), env.keys("pgbackup/manifests/"), "no manifest");
        assertTrue(env.stack.s3.listMultipartUploads(b -> b.bucket(env.stack.bucket)).uploads().isEmpty(),
                "no open upload");
        assertEquals(List.of(), env.keys("pgbackup/locks/"), "lock released");
    }

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
            assertEquals(
                    "Backup file " + filename + " is encrypted with production's KMS key, which this stack may not use "
                            + "(the key policy must grant this stack's restore role kms:Decrypt)",
                    map(r.getBody()).get("message"),
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
            assertEquals(
                    "Backup file " + filename + " is encrypted with production's KMS key, which this stack may not use "
                            + "(the key policy must grant this stack's restore role kms:Decrypt). The database '"
                            + p.target
                            + "' was not changed",
                    map(r.getBody()).get("message"),
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
            assertEquals(
                    "Backup file " + filename + " is encrypted with production's KMS key, which this stack may not use "
                            + "(the key policy must grant this stack's restore role kms:Decrypt). The database '"
                            + p.target
                            + "' was not changed",
                    map(r.getBody()).get("message"),
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
}
