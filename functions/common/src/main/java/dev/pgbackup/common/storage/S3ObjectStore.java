package dev.pgbackup.common.storage;

import dev.pgbackup.common.failure.Failure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/** {@link ObjectStore} on one S3 bucket. */
public final class S3ObjectStore implements ObjectStore {
    private final S3Client s3;
    private final String bucket;
    private final String kmsKeyId;

    public S3ObjectStore(S3Client s3, String bucket) {
        this(s3, bucket, null);
    }

    /** {@code kmsKeyId}: the environment's key for {@link #putSealed} (null: the bucket's default encryption). */
    public S3ObjectStore(S3Client s3, String bucket, String kmsKeyId) {
        this.s3 = s3;
        this.bucket = bucket;
        this.kmsKeyId = kmsKeyId;
    }

    public static String bucketUnavailable(String bucket) {
        return "S3 bucket '" + bucket + "' does not exist or is not accessible";
    }

    @Override
    public String bucket() {
        return bucket;
    }

    @Override
    public void checkBucket() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (S3Exception e) {
            throw Failure.server(bucketUnavailable(bucket), "HeadBucket: " + e.statusCode());
        }
    }

    @Override
    public Optional<Info> head(String key) {
        try {
            HeadObjectResponse h = s3.headObject(b -> b.bucket(bucket).key(key));
            return Optional.of(new Info(key, h.lastModified(), h.contentLength(), h.eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void checkKeyAccess(String key) {
        HeadObjectResponse h = s3.headObject(b -> b.bucket(bucket).key(key));
        if (h.serverSideEncryptionAsString() != null && h.serverSideEncryptionAsString().startsWith("aws:kms")) {
            s3.getObject(b -> b.bucket(bucket).key(key).range("bytes=0-0"), ResponseTransformer.toBytes());
        }
    }

    @Override
    public Optional<Stored> get(String key, int maxBytes) {
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = s3.getObject(b -> b.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
        try (in) {
            Long length = in.response().contentLength();
            if (length != null && length > maxBytes) {
                in.abort();
                throw ObjectStore.tooLarge(key, maxBytes);
            }
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                in.abort();
                throw ObjectStore.tooLarge(key, maxBytes);
            }
            return Optional.of(new Stored(bytes, in.response().lastModified(), in.response().eTag()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void put(String key, byte[] bytes) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/json"), RequestBody.fromBytes(bytes));
    }

    @Override
    public void putSealed(String key, byte[] bytes) {
        if (kmsKeyId == null) {
            put(key, bytes);
            return;
        }
        s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/json")
                .serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(kmsKeyId).bucketKeyEnabled(true),
                RequestBody.fromBytes(bytes));
    }

    @Override
    public boolean createIfAbsent(String key, byte[] bytes) {
        return conditional(() -> s3.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*")
                .contentType("application/json"), RequestBody.fromBytes(bytes)));
    }

    @Override
    public boolean replaceIfMatch(String key, byte[] bytes, String eTag) {
        return conditional(() -> s3.putObject(b -> b.bucket(bucket).key(key).ifMatch(eTag)
                .contentType("application/json"), RequestBody.fromBytes(bytes)));
    }

    @Override
    public boolean deleteIfMatch(String key, String eTag) {
        return conditional(() -> s3.deleteObject(b -> b.bucket(bucket).key(key).ifMatch(eTag)));
    }

    /**
     * A conditional request that lost: 412 (precondition failed), 409 (a concurrent conditional write in
     * flight) or 404 (the version is gone) all mean "someone else's version is there", never an error.
     */
    private static boolean conditional(Supplier<?> request) {
        try {
            request.get();
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void delete(String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    @Override
    public void deleteAll(List<String> keys) {
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

    @Override
    public List<Info> list(String prefix) {
        List<Info> all = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            all.add(new Info(o.key(), o.lastModified(), o.size(), o.eTag()));
        }
        return all;
    }
}
