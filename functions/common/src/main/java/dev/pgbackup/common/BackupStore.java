package dev.pgbackup.common;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.BlockingInputStreamAsyncRequestBody;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The bucket as this product sees it: whole backups at the bucket root (where the previous
 * implementation wrote them), job records under {@code jobs/}, restore locks under {@code locks/}.
 */
public class BackupStore {
    public static final long MIN_PART_SIZE = 8L * 1024 * 1024;
    private static final int MAX_PARTS = 10_000;

    private final S3Client s3;
    private final AwsClients clients;
    private final String bucket;
    private final String appName;
    private final Map<Long, S3AsyncClient> uploaders = new ConcurrentHashMap<>();
    private volatile SdkAsyncHttpClient asyncHttp;

    public BackupStore(S3Client s3, AwsClients clients, String bucket, String appName) {
        this.s3 = s3;
        this.clients = clients;
        this.bucket = bucket;
        this.appName = appName;
    }

    private SdkAsyncHttpClient asyncHttp() {
        if (asyncHttp == null) {
            synchronized (this) {
                if (asyncHttp == null) {
                    asyncHttp = clients.asyncHttp();
                }
            }
        }
        return asyncHttp;
    }

    public String bucket() {
        return bucket;
    }

    public void checkBucket() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (S3Exception e) {
            throw new BucketUnavailableException(bucket, e);
        }
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

    /** Outcome of a streamed upload: the object exists whole, or not at all. */
    public record UploadResult(long bytes) {
    }

    /**
     * Streams {@code body} into a new object through the SDK's multipart upload. The object is created
     * only if the stream ends normally (a source that fails must throw from read) and no object of that
     * key exists (If-None-Match). On any failure or when {@code deadline} passes, {@code onFailure} runs
     * (it must unblock the source, e.g. kill pg_dump), the upload is aborted and the cause rethrown.
     */
    public UploadResult upload(String key, InputStream body, long partSize, Instant deadline, Runnable onFailure)
            throws IOException {
        S3AsyncClient client = uploaders.computeIfAbsent(partSize, size -> clients.multipartS3(asyncHttp(), size));
        BlockingInputStreamAsyncRequestBody requestBody = AsyncRequestBody.forBlockingInputStream(null);
        CountingInputStream counting = new CountingInputStream(body);
        CompletableFuture<?> upload = client.putObject(
                b -> b.bucket(bucket).key(key).ifNoneMatch("*").contentType("application/octet-stream"),
                requestBody);
        // The writer runs on its own thread: if the upload fails, it may stay blocked on demand that never
        // comes, and the caller must still be able to kill the source and return.
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> requestBody.writeInputStream(counting));
        writer.whenComplete((ok, error) -> {
            if (error != null) {
                upload.completeExceptionally(error);
            }
        });
        try {
            long waitMs = Math.max(1, Duration.between(Instant.now(), deadline).toMillis());
            upload.get(waitMs, TimeUnit.MILLISECONDS);
            return new UploadResult(counting.count());
        } catch (TimeoutException e) {
            fail(key, onFailure, upload, writer);
            throw new IOException("Backup did not finish before the worker's time limit; the upload was aborted");
        } catch (ExecutionException e) {
            fail(key, onFailure, upload, writer);
            Throwable cause = rootCause(e);
            if (cause instanceof S3Exception s3e && s3e.statusCode() == 412) {
                throw new IOException("A backup named " + key + " already exists; it was not overwritten");
            }
            throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(key, onFailure, upload, writer);
            throw new IOException("Backup interrupted; the upload was aborted");
        }
    }

    private void fail(String key, Runnable onFailure, CompletableFuture<?> upload, CompletableFuture<Void> writer) {
        onFailure.run();
        upload.cancel(true);
        writer.cancel(true);
        abortIncompleteUploads(key);
    }

    /** Belt and braces after a failure: no multipart upload of that key may linger (and cost storage). */
    public void abortIncompleteUploads(String key) {
        try {
            List<MultipartUpload> open = s3.listMultipartUploads(b -> b.bucket(bucket).prefix(key)).uploads();
            for (MultipartUpload u : open) {
                if (u.key().equals(key)) {
                    s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(u.uploadId()));
                }
            }
        } catch (S3Exception e) {
            // the bucket's lifecycle rule aborts what we could not; the backup has failed either way
        }
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExecutionException || c instanceof java.util.concurrent.CompletionException
                || (c.getCause() != null && c.getClass().getName().startsWith("software.amazon.awssdk.core.exception")
                    && !(c instanceof S3Exception)))
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /** When an environment's newest backup completed, as the backup worker recorded it. */
    public record Completed(String filename, Instant completedAt) {
    }

    public static String completedKey(String appName, String environment) {
        return "jobs/last-backup-" + appName + "-" + environment + ".json";
    }

    /**
     * Records that a backup completed now. S3's LastModified of a multipart upload is when the upload
     * started, not when it completed, so a restore's "recent backup" check cannot rely on it.
     */
    public void markCompleted(BackupName name, Instant completedAt) {
        putJson(completedKey(appName, name.environment()), Json.write(new Completed(name.filename(), completedAt)));
    }

    public Optional<Completed> lastCompleted(String environment) {
        return getJson(completedKey(appName, environment)).map(stored -> {
            try {
                return Json.MAPPER.readValue(stored.json(), Completed.class);
            } catch (IOException e) {
                return null;
            }
        });
    }

    /** Every backup of this app, all environments, newest first; a failed page fails the whole listing. */
    public List<BackupObject> listBackups() {
        List<BackupObject> backups = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(appName + "-")).contents()) {
            BackupName.parse(appName, o.key())
                    .ifPresent(name -> backups.add(new BackupObject(name, o.lastModified(), o.size())));
        }
        backups.sort(Comparator.comparing(BackupObject::lastModified)
                .thenComparing(BackupObject::filename)
                .reversed());
        return backups;
    }

    public Optional<BackupObject> find(String filename) {
        Optional<BackupName> name = BackupName.parse(appName, filename);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        try {
            HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key(filename));
            return Optional.of(new BackupObject(name.get(), head.lastModified(), head.contentLength()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public ResponseInputStream<GetObjectResponse> open(String key) {
        return s3.getObject(b -> b.bucket(bucket).key(key));
    }

    /** Deletes exactly these keys; any key S3 reports as not deleted fails the call. */
    public void delete(List<String> keys) {
        for (int from = 0; from < keys.size(); from += 1000) {
            List<ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(), from + 1000)).stream()
                    .map(k -> ObjectIdentifier.builder().key(k).build())
                    .toList();
            DeleteObjectsResponse response = s3.deleteObjects(b -> b.bucket(bucket)
                    .delete(Delete.builder().objects(batch).quiet(true).build()));
            if (response.hasErrors() && !response.errors().isEmpty()) {
                throw new IllegalStateException("S3 did not delete " + response.errors().size() + " object(s), first: "
                        + response.errors().get(0).key() + " (" + response.errors().get(0).code() + ")");
            }
        }
    }

    /** Writes a small object only if none exists under that key (S3 conditional write); false if one does. */
    public boolean createIfAbsent(String key, String json) {
        try {
            s3.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*").contentType("application/json"),
                    RequestBody.fromString(json));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false;
            }
            throw e;
        }
    }

    public void putJson(String key, String json) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/json"), RequestBody.fromString(json));
    }

    /** A small JSON object and when it was written, or empty if there is none. */
    public Optional<StoredJson> getJson(String key) {
        try {
            var response = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
            return Optional.of(new StoredJson(response.asUtf8String(), response.response().lastModified()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    public record StoredJson(String json, Instant lastModified) {
    }

    /** A small JSON object with its ETag, so that a later replace or delete hits exactly that version. */
    public record VersionedJson(String json, Instant lastModified, String eTag) {
    }

    /** Like {@link #getJson} but with the ETag, for {@link #replaceIfMatch} and {@link #deleteIfMatch}. */
    public Optional<VersionedJson> getVersionedJson(String key) {
        try {
            var response = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
            return Optional.of(new VersionedJson(response.asUtf8String(), response.response().lastModified(),
                    response.response().eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    /**
     * Overwrites a small object only if it is still the version with {@code eTag} (S3 If-Match); false if
     * it changed or is gone, so two callers replacing the same version cannot both succeed.
     */
    public boolean replaceIfMatch(String key, String json, String eTag) {
        try {
            s3.putObject(b -> b.bucket(bucket).key(key).ifMatch(eTag).contentType("application/json"),
                    RequestBody.fromString(json));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** Deletes an object only if it is still the version with {@code eTag} (S3 conditional delete). */
    public boolean deleteIfMatch(String key, String eTag) {
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(key).ifMatch(eTag));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    public void deleteObject(String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }
}
