package dev.pgbackup.common.storage;

import dev.pgbackup.common.AwsClients;
import dev.pgbackup.testsupport.MotoServer;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.s3.S3Client;

/** {@link S3ObjectStore} against an S3 API server over HTTP (moto), held to the contract the in-memory store keeps. */
class S3ObjectStoreIT extends ObjectStoreContract {
    private static final String BUCKET = "object-store-contract";
    private static S3Client s3;

    @BeforeAll
    static void bucket() {
        s3 = new AwsClients(Optional.of(MotoServer.get().endpoint()), true).s3();
        if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(BUCKET))) {
            s3.createBucket(b -> b.bucket(BUCKET));
        }
    }

    @AfterAll
    static void close() {
        s3.close();
    }

    @Override
    ObjectStore store() {
        return new S3ObjectStore(s3, BUCKET);
    }

    @Override
    ObjectStore storeWithoutBucket() {
        return new S3ObjectStore(s3, "no-such-bucket-of-the-contract");
    }
}
