package dev.pgbackup.common.storage;

import java.util.Locale;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Recognises a request that failed because of a KMS key rather than S3 itself: S3's {@code KMS.*} error codes
 * (a disabled, missing or pending-deletion key), its 403 naming {@code kms:} (the key policy does not grant the
 * caller), and KMS's own refusals. Such a failure is the key policy speaking, and the caller is told so.
 */
public final class KmsRefusal {
    private KmsRefusal() {}

    /** Whether anything in the chain (causes and suppressed) is a refusal because of a KMS key. */
    public static boolean in(Throwable t) {
        return Causes.find(t, KmsRefusal::is).isPresent();
    }

    private static boolean is(Throwable x) {
        if (x instanceof S3Exception s3e) {
            String code = s3e.awsErrorDetails() == null ? null : s3e.awsErrorDetails().errorCode();
            String message = String
                    .valueOf(s3e.awsErrorDetails() == null ? null : s3e.awsErrorDetails().errorMessage());
            return (code != null && code.startsWith("KMS."))
                    || (s3e.statusCode() == 403 && message.toLowerCase(Locale.ROOT).contains("kms"));
        }
        // KMS's own answers (the SDK's KMS client, when the workers encrypt or decrypt a data key themselves)
        return x instanceof AwsServiceException
                && x.getClass().getName().startsWith("software.amazon.awssdk.services.kms.");
    }

    /** What a stack that may not use a backup's key is told: the backup's environment and what would fix it. */
    public static String restoreMessage(String filename, String environment) {
        return "Backup file " + filename + " is encrypted with " + environment + "'s KMS key, which this stack may not "
                + "use (the key policy must grant this stack's restore role kms:Decrypt)";
    }

    /** What a backup that S3 or KMS could not encrypt says. */
    public static String backupMessage(String environment, String keyId) {
        return "the backup could not be encrypted with " + environment + "'s KMS key " + keyId + " (the key is "
                + "disabled, scheduled for deletion or missing, or its policy does not grant this stack's backup worker)";
    }
}
