package dev.pgbackup.common.storage;

import dev.pgbackup.common.AwsClients;
import dev.pgbackup.testsupport.MotoServer;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.s3.S3Client;

/** {@link S3Archives} (multipart upload, ranged download) against an S3 API server over HTTP, held to the contract. */
class S3ArchivesIT extends ArchiveStorageContract {
    private static final String BUCKET = "archive-storage-contract";
    private static AwsClients clients;
    private static S3Client s3;

    @BeforeAll
    static void bucket() {
        clients = new AwsClients(Optional.of(MotoServer.get().endpoint()), true);
        s3 = clients.s3();
        if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(BUCKET))) {
            s3.createBucket(b -> b.bucket(BUCKET));
        }
    }

    @AfterAll
    static void close() {
        s3.close();
    }

    @Override
    ArchiveStorage archives() {
        return new S3Archives(s3, BUCKET, clients.archiveClients());
    }

    @Override
    ObjectStore objects() {
        return new S3ObjectStore(s3, BUCKET);
    }
}
