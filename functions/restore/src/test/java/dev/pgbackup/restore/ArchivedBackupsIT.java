package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.storage.BackupObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.s3.model.MetadataDirective;

/**
 * Backups the bucket's lifecycle rule moved to a cheaper storage class (ArchiveAfterDays, ArchiveStorageClass)
 * are listed, checked and restored like any other: both offered classes are read at once. GLACIER is not offered:
 * a restore of such an object is refused by S3 until someone restores the object itself.
 */
class ArchivedBackupsIT {
    @BeforeAll
    static void seed() {
        RestoreIT.seed();
    }

    /** What the lifecycle transition does: the same object, bytes and ETag, in another storage class. */
    static void transition(RestoreIT.Fixture f, String key, String storageClass) {
        f.stack.s3.copyObject(c -> c.sourceBucket(f.stack.bucket).sourceKey(key).destinationBucket(f.stack.bucket)
                .destinationKey(key).storageClass(storageClass).metadataDirective(MetadataDirective.COPY));
        assertEquals(storageClass,
                f.stack.s3.headObject(h -> h.bucket(f.stack.bucket).key(key)).storageClassAsString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"STANDARD_IA", "GLACIER_IR"})
    void anArchivedBackupIsListedAndRestoredLikeAnyOther(String storageClass) {
        RestoreIT.Fixture f = new RestoreIT.Fixture();
        transition(f, f.productionBackup, storageClass);

        BackupObject listed = f.stack.wiring.catalog.listAll().stream()
                .filter(b -> b.filename().equals(f.productionBackup)).findFirst().orElseThrow();
        assertEquals(RestoreIT.productionDump.length, listed.size());
        assertEquals(RestoreIT.productionDump.length,
                f.stack.wiring.catalog.find(f.productionBackup).orElseThrow().size());
        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(RestoreIT.productionSnapshot, RestoreIT.pg.snapshot(f.target));
        f.assertNoLeftovers();
    }

    @Test
    void aBackupInGlacierCannotBeRestoredAndTheDatabaseIsUnchanged() {
        RestoreIT.Fixture f = new RestoreIT.Fixture();
        transition(f, f.productionBackup, "GLACIER");

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) RestoreIT.bodyOf(response).get("message");
        assertTrue(message.startsWith("Backup file " + f.productionBackup + " cannot be read by pg_restore"), message);
        assertTrue(message.contains("reading the backup from S3 failed"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        String diagnostic = f.jobs().get(0).diagnostic();
        assertTrue(diagnostic != null && diagnostic.contains("InvalidObjectState"), diagnostic);
        assertEquals(f.stagingSnapshot, RestoreIT.pg.snapshot(f.target));
        f.assertNoLeftovers();
    }
}
