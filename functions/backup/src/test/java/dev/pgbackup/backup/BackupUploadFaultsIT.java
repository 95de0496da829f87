package dev.pgbackup.backup;

import static dev.pgbackup.backup.BackupFaultsFixture.BACKUP_KEY;
import static dev.pgbackup.backup.BackupFaultsFixture.completeUpload;
import static dev.pgbackup.backup.BackupFaultsFixture.failedRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.testsupport.FaultProxy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backup worker with S3 behind a {@link FaultProxy}: an upload, its manifest or its row counts failing leaves
 * nothing half-written ({@link BackupFaultsFixture#assertNothingLeftBehind}); a fault S3 answers once is retried.
 */
class BackupUploadFaultsIT {
    @BeforeAll
    static void seedAndConnect() {
        BackupFaultsFixture.seed();
    }

    @AfterAll
    static void disconnect() {
        BackupFaultsFixture.closeDirect();
    }

    // ---------------------------------------------------------------- S3 fails during the upload

    @Test
    void anUploadPartFailingOnTheSecondPartFailsTheBackupAndLeavesNothing() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.bigSource(), Map.of())) {
            FaultProxy.Rule part = secondPartFails(f);

            Map<String, Object> result = failedRun(f);

            assertTrue(part.injected() >= 1, "the fault was injected: " + f.proxy.requests());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: "), message);
            assertTrue(message.endsWith("(no backup was written)"), message);
            assertTrue(f.proxy.requests(completeUpload()).isEmpty(), "never completed: " + f.proxy.requests());
            f.assertNothingLeftBehind();
        }
    }

    @Test
    void anUploadPartS3RefusesOnceIsRetriedAndTheBackupIsWhole() throws Exception {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.bigSource(), Map.of())) {
            FaultProxy.Rule part = f.proxy.when(FaultProxy.s3("PUT", BACKUP_KEY, "partNumber")).afterPasses(1).times(1)
                    .respondS3Error(500, "InternalError", "injected once by the test");

            Map<String, Object> result = BackupWorkerFixture.runScheduled(f.stack);

            assertEquals("SUCCEEDED", result.get("status"), String.valueOf(result.get("message")));
            assertEquals(1, part.injected());
            String filename = (String) result.get("filename");
            java.nio.file.Path dump = BackupWorkerFixture.download(f.stack.s3, f.stack.bucket, filename);
            var manifest = f.stack.wiring.catalog.manifest(f.stack.wiring.catalog.find(filename).orElseThrow())
                    .orElseThrow();
            assertEquals(dev.pgbackup.common.Hashes.hex(dev.pgbackup.common.Hashes.newSha256()
                    .digest(java.nio.file.Files.readAllBytes(dump))), manifest.sha256(), "every byte once, in order");
        }
    }

    @Test
    void aFailedUploadPartIsReportedAsWhatS3AnsweredNotAsAnSdkInternal() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.bigSource(), Map.of())) {
            secondPartFails(f);

            String message = (String) failedRun(f).get("message");

            assertEquals("Backup failed: S3 answered 500 (InternalError) (no backup was written)", message);
        }
    }

    private static FaultProxy.Rule secondPartFails(BackupFaultsFixture f) {
        return f.proxy.when(FaultProxy.s3("PUT", BACKUP_KEY, "partNumber")).afterPasses(1)
                .respondS3Error(500, "InternalError", "injected by the test");
    }

    @Test
    void aCompleteMultipartUploadFailingOnEveryAttemptFailsTheBackupAndLeavesNothing() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.bigSource(), Map.of())) {
            FaultProxy.Rule complete = f.proxy.when(completeUpload())
                    .respondS3Error(500, "InternalError", "injected by the test");

            Map<String, Object> result = failedRun(f);

            assertTrue(complete.injected() > 1, "the SDK retried the completion: " + complete.injected());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: "), message);
            assertTrue(message.contains("S3 answered 500 (InternalError)"), message);
            assertTrue(message.endsWith("(no backup was written)"), message);
            assertTrue(f.proxy.requests(FaultProxy.s3("PUT", BACKUP_KEY, "partNumber")).size() >= 2,
                    "every part was sent first: " + f.proxy.requests());
            f.assertNothingLeftBehind();
        }
    }

    @Test
    void aCreateMultipartUploadFailingOnEveryAttemptFailsTheBackupAndLeavesNothing() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.bigSource(), Map.of())) {
            FaultProxy.Rule create = f.proxy.when(FaultProxy.s3("POST", BACKUP_KEY, "uploads"))
                    .respondS3Error(500, "InternalError", "injected by the test");

            Map<String, Object> result = failedRun(f);

            assertTrue(create.injected() > 1, "the SDK retried the creation: " + create.injected());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: "), message);
            assertTrue(message.contains("S3 answered 500 (InternalError)"), message);
            assertTrue(message.endsWith("(no backup was written)"), message);
            assertTrue(f.proxy.requests(FaultProxy.s3("PUT", BACKUP_KEY, "partNumber")).isEmpty(),
                    "no part without an upload: " + f.proxy.requests());
            f.assertNothingLeftBehind();
        }
    }

    // ---------------------------------------------------------------- records

    /**
     * The archive is whole, but its manifest cannot be written: no restore could verify it or know its class, so it
     * is no backup. Reported FAILED, the archive removed, nothing else touched.
     */
    @Test
    void aManifestThatCannotBeWrittenIsNoBackupAndItsArchiveIsRemoved() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.SOURCE_DB, Map.of())) {
            FaultProxy.Rule manifest = f.proxy.when(FaultProxy.s3("PUT", "pgbackup/manifests/.*\\.json", null))
                    .respondS3Error(500, "InternalError", "injected by the test");

            Map<String, Object> result = failedRun(f);

            assertTrue(manifest.injected() >= 1, f.proxy.requests().toString());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: its records could not be written and read back as a restore "
                    + "reads them ("), message);
            assertTrue(message.endsWith("; no backup was written"), message);
            assertTrue(f.proxy.requests(FaultProxy.s3(null, BACKUP_KEY, null)).stream()
                    .anyMatch(r -> r.isWrite() && r.status() == 200),
                    "the archive itself was written: "
                            + f.proxy.requests());
            f.assertNothingLeftBehind();
        }
    }

    /** The row counts read back other than written (a store that changed them): the same, nothing left behind. */
    @Test
    void rowCountsThatReadBackDamagedAreNoBackup() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.SOURCE_DB, Map.of())) {
            f.proxy.when(FaultProxy.s3("GET", "pgbackup/manifests/.*\\.counts\\.json\\.gz", null))
                    .respond(200, "application/octet-stream", "not the counts that were written");

            Map<String, Object> result = failedRun(f);

            assertTrue(((String) result.get("message")).contains("do not match the checksum their manifest recorded"),
                    String.valueOf(result.get("message")));
            f.assertNothingLeftBehind();
            assertEquals(List.of(), f.keys("pgbackup/manifests/"), "neither the manifest nor the counts stay");
        }
    }
}
