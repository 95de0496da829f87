package dev.pgbackup.common;

/** The bucket is missing or we may not use it; the message is the one existing clients know. */
public class BucketUnavailableException extends RuntimeException {
    public BucketUnavailableException(String bucket, Throwable cause) {
        super("S3 bucket '" + bucket + "' does not exist or is not accessible", cause);
    }
}
