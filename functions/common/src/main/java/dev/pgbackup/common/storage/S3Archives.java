package dev.pgbackup.common.storage;

import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.time.Deadline;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import software.amazon.awssdk.core.FileTransformerConfiguration;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Archives in S3: written as a stream of unknown length ({@link MultipartStream}: memory bounded by its
 * {@link PartPlan}), read through GetObject pinned to an ETag.
 */
public final class S3Archives implements ArchiveStorage {
    private final S3Client s3;
    private final String bucket;
    private final AwsClients.ArchiveClients clients;
    private final dev.pgbackup.common.config.EncryptionSettings encryption;
    private final PartPlan parts;

    public S3Archives(S3Client s3, String bucket, AwsClients.ArchiveClients clients) {
        this(s3, bucket, clients, dev.pgbackup.common.config.EncryptionSettings.NONE);
    }

    /** With {@code encryption.kmsKeyId()}, every archive is written with SSE-KMS under that key and the S3 Bucket Key. */
    public S3Archives(S3Client s3, String bucket, AwsClients.ArchiveClients clients,
            dev.pgbackup.common.config.EncryptionSettings encryption) {
        this(s3, bucket, clients, encryption, PartPlan.DEFAULT);
    }

    S3Archives(S3Client s3, String bucket, AwsClients.ArchiveClients clients,
            dev.pgbackup.common.config.EncryptionSettings encryption, PartPlan parts) {
        this.s3 = s3;
        this.bucket = bucket;
        this.clients = clients;
        this.encryption = encryption;
        this.parts = parts;
    }

    @Override
    public Uploaded upload(String key, InputStream body, Deadline deadline, Runnable onFailure) throws IOException {
        MultipartStream stream = new MultipartStream(clients.transfers(), bucket, parts,
                encryption.serverSideKms() ? encryption.kmsKeyId() : null);
        try {
            return stream.upload(key, body, deadline, onFailure);
        } catch (MultipartStream.Failed f) {
            abortIncompleteUploads(key);
            if (f.timedOut) {
                throw new IOException("Backup did not finish before the worker's time limit; the upload was aborted");
            }
            if (f.interrupted) {
                throw new IOException("Backup interrupted; the upload was aborted");
            }
            Throwable failure = f.getCause();
            Throwable cause = rootCause(failure);
            S3Exception answered = s3Answer(failure);
            if (answered != null && answered.statusCode() == 412) {
                throw new IOException(BackupName.alreadyExists(key));
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            if (KmsRefusal.in(failure)) {
                throw new IOException("S3 refused the upload because of the KMS key " + encryption.kmsKeyId()
                        + " (" + (answered == null ? "KMS" : answered.awsErrorDetails().errorCode()) + "): the key is "
                        + "disabled, scheduled for deletion or missing, or its policy does not grant this stack's backup "
                        + "worker", cause);
            }
            int status = s3Status(failure);
            throw new IOException(answered != null ? describe(answered)
                    : status > 0 ? "S3 answered " + status : describe(cause), cause);
        }
    }

    private static String describe(Throwable cause) {
        if (cause instanceof S3Exception s3e) {
            return "S3 answered " + s3e.statusCode() + " (" + s3e.awsErrorDetails().errorCode() + ")";
        }
        // the SDK's own text (attempt counts, internals) is for the log, not for the answer
        return "the S3 upload failed (" + cause.getClass().getSimpleName() + ")";
    }

    /** Belt and braces after a failure: no multipart upload of that key may linger (and cost storage). */
    void abortIncompleteUploads(String key) {
        try {
            List<MultipartUpload> open = s3.listMultipartUploads(b -> b.bucket(bucket).prefix(key)).uploads();
            for (MultipartUpload u : open) {
                if (u.key().equals(key)) {
                    s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(u.uploadId()));
                }
            }
        } catch (RuntimeException e) {
            // the bucket's lifecycle rule aborts what we could not; the backup has failed either way
        }
    }

    private static final java.util.regex.Pattern STATUS = java.util.regex.Pattern.compile("Status Code: (\\d{3})");

    /** The HTTP status S3 answered, wherever the SDK put it (a cause, a suppressed attempt), or 0. */
    static int s3Status(Throwable t) {
        S3Exception s3e = s3Answer(t);
        if (s3e != null) {
            return s3e.statusCode();
        }
        for (Throwable x = t; x != null; x = x.getCause()) {
            for (Throwable s : x.getSuppressed()) {
                java.util.regex.Matcher m = STATUS.matcher(String.valueOf(s.getMessage()));
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
        }
        return 0;
    }

    /**
     * What S3 answered, wherever the SDK put it: after retries, the SDK may report its own error with S3's
     * answer among the suppressed exceptions.
     */
    static S3Exception s3Answer(Throwable t) {
        return (S3Exception) Causes.find(t, S3Exception.class::isInstance).orElse(null);
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExecutionException || c instanceof CompletionException
                || (c.getCause() != null && c.getClass().getName().startsWith("software.amazon.awssdk.core.exception")
                        && !(c instanceof S3Exception)))
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    @Override
    public Uploaded download(String key, String eTag, Path file, Deadline deadline) throws IOException {
        CompletableFuture<GetObjectResponse> download = clients.downloader().getObject(
                b -> b.bucket(bucket).key(key).ifMatch(eTag),
                AsyncResponseTransformer.toFile(file, FileTransformerConfiguration.defaultCreateOrReplaceExisting()));
        try {
            download.get(Math.max(1, deadline.remaining().toMillis()), TimeUnit.MILLISECONDS);
            return measure(file);
        } catch (TimeoutException e) {
            download.cancel(true);
            Files.deleteIfExists(file);
            throw new IOException("the download did not finish before the worker's time limit");
        } catch (ExecutionException e) {
            Files.deleteIfExists(file);
            throw new IOException(describe(rootCause(e)), rootCause(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            download.cancel(true);
            Files.deleteIfExists(file);
            throw new IOException("the download was interrupted");
        }
    }

    /** The size and SHA-256 of what landed on disk (not of what the network claimed to send). */
    private static Uploaded measure(Path file) throws IOException {
        try (MeasuredStream in = new MeasuredStream(Files.newInputStream(file))) {
            in.transferTo(OutputStream.nullOutputStream());
            return new Uploaded(in.count(), in.sha256Hex());
        }
    }

    @Override
    public Reading open(String key, String eTag) {
        ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> {
            b.bucket(bucket).key(key);
            if (eTag != null) {
                b.ifMatch(eTag);
            }
        });
        return new Reading() {
            @Override
            public InputStream stream() {
                return in;
            }

            @Override
            public long length() {
                Long length = in.response().contentLength();
                return length == null ? -1 : length;
            }

            @Override
            public void abort() {
                try {
                    in.abort();
                } catch (RuntimeException ignored) {
                    // already closed
                }
            }

            @Override
            public void close() {
                abort();
                try {
                    in.close();
                } catch (IOException | RuntimeException ignored) {
                    // aborted
                }
            }
        };
    }
}
