package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.s3.model.S3Exception;

class KmsRefusalTest {
    private static S3Exception s3(int status, String code, String message) {
        return (S3Exception) S3Exception.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build()).build();
    }

    @Test
    void s3sKmsCodesAndItsKmsAccessDeniedAreTheKeysRefusal() {
        assertTrue(KmsRefusal.in(s3(400, "KMS.DisabledException", "key is disabled")));
        assertTrue(KmsRefusal.in(s3(400, "KMS.NotFoundException", "Invalid keyId")));
        assertTrue(KmsRefusal
                .in(s3(403, "AccessDenied", "User: x is not authorized to perform: kms:Decrypt on resource: y")));
        // wrapped the way the async client reports it, with a null cause at the end of the chain
        assertTrue(KmsRefusal.in(new CompletionException(new RuntimeException("attempt failed",
                s3(400, "KMS.KMSInvalidStateException", "pending deletion")))));
    }

    @Test
    void otherRefusalsAreNot() {
        assertFalse(KmsRefusal.in(s3(403, "AccessDenied", "Access Denied")));
        assertFalse(KmsRefusal.in(s3(404, "NoSuchKey", "The specified key does not exist.")));
        assertFalse(KmsRefusal.in(s3(500, "InternalError", "kms was mentioned but S3 failed")));
        assertFalse(KmsRefusal.in(new IllegalStateException("no cause")));
    }

    @Test
    void theMessagesNameTheEnvironmentAndTheFix() {
        assertEquals("Backup file f.dump is encrypted with production's KMS key, which this stack may not use (the key "
                + "policy must grant this stack's restore role kms:Decrypt)",
                KmsRefusal.restoreMessage("f.dump", "production"));
    }
}
