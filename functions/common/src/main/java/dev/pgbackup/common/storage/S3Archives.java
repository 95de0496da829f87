package dev.pgbackup.common.storage;

import dev.pgbackup.common.jobs.Deadline;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongFunction;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.BlockingInputStreamAsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Archives in S3: written through the SDK's multipart upload (a stream of unknown length, memory bounded
 * by the part buffer), read through GetObject pinned to an ETag.
 */
public final class S3Archives implements ArchiveStorage {
    public static final long MIN_PART_SIZE = 8L * 1024 * 1024;
    private static final int MAX_PARTS = 10_000;

    private final S3Client s3;
    private final String bucket;
    /** One multipart client per part size, built on first use (the SDK's part size cannot change per upload). */
    private final LongFunction<S3AsyncClient> uploaderFactory;
    private final Map<Long, S3AsyncClient> uploaders = new ConcurrentHashMap<>();

    public S3Archives(S3Client s3, String bucket, LongFunction<S3AsyncClient> uploaderFactory) {
        this.s3 = s3;
        this.bucket = bucket;
        this.uploaderFactory = uploaderFactory;
    }

    /**
     * Part size so that 10,000 parts hold an object of {@code expectedBytes} with a safety factor of 2,
     * rounded up to a power of two MiB so that few distinct upload clients exist per container.
     */
    public static long partSizeFor(long expectedBytes) {
        long needed = Math.max(MIN_PART_SIZE, (2 * Math.max(expectedBytes, 0)) / MAX_PARTS + 1);
        long size = MIN_PART_SIZE;
        while (size < needed) {
            size <<= 1;
        }
        return size;
    }

    @Override
    public Uploaded upload(String key, InputStream body, long expectedBytes, Deadline deadline, Runnable onFailure)
            throws IOException {
        S3AsyncClient client = uploaders.computeIfAbsent(partSizeFor(expectedBytes), uploaderFactory::apply);
        BlockingInputStreamAsyncRequestBody requestBody = AsyncRequestBody.forBlockingInputStream(null);
        MeasuredStream measured = new MeasuredStream(body);
        CompletableFuture<?> upload = client.putObject(
                b -> b.bucket(bucket).key(key).ifNoneMatch("*").contentType("application/octet-stream"), requestBody);
        // The writer runs on its own thread: if the upload fails, it may stay blocked on demand that never
        // comes, and the caller must still be able to kill the source and return.
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> requestBody.writeInputStream(measured));
        writer.whenComplete((ok, error) -> {
            if (error != null) {
                upload.completeExceptionally(error);
            }
        });
        try {
            upload.get(Math.max(1, deadline.remaining().toMillis()), TimeUnit.MILLISECONDS);
            return new Uploaded(measured.count(), measured.sha256Hex());
        } catch (TimeoutException e) {
            fail(key, onFailure, upload, writer);
            throw new IOException("Backup did not finish before the worker's time limit; the upload was aborted");
        } catch (ExecutionException e) {
            fail(key, onFailure, upload, writer);
            Throwable cause = rootCause(e);
            if (cause instanceof S3Exception s3e && s3e.statusCode() == 412) {
                throw new IOException("A backup named " + key + " already exists; it was not overwritten");
            }
            throw cause instanceof IOException io ? io : new IOException(describe(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(key, onFailure, upload, writer);
            throw new IOException("Backup interrupted; the upload was aborted");
        }
    }

    private static String describe(Throwable cause) {
        if (cause instanceof S3Exception s3e) {
            return "S3 answered " + s3e.statusCode() + " (" + s3e.awsErrorDetails().errorCode() + ")";
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    private void fail(String key, Runnable onFailure, CompletableFuture<?> upload, CompletableFuture<Void> writer) {
        onFailure.run();
        upload.cancel(true);
        writer.cancel(true);
        abortIncompleteUploads(key);
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
