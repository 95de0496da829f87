package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.FaultRules;
import dev.pgbackup.testsupport.MotoServer;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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

    /**
     * Every part carries its own CRC32 as a header, computed from its bytes, and goes out as it is: no aws-chunked
     * trailer, whose encoding made the SDK copy the whole archive (moto does not check the value; S3 does).
     */
    @Test
    void everyPartIsSentWithItsCrc32InAHeaderAndNotChunkEncoded() throws Exception {
        byte[] data = new byte[12 * 1024 * 1024];
        new Random(12).nextBytes(data);
        String key = "crc32-headers/" + UUID.randomUUID() + ".dump";
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            AwsClients proxied = new AwsClients(Optional.of(proxy.endpoint()), true);
            new S3Archives(proxied.s3(), BUCKET, proxied.archiveClients()).upload(key,
                    new ByteArrayInputStream(data), Deadline.in(Duration.ofMinutes(2)), () -> {});

            List<FaultRules.Request> parts = proxy.requests(r -> r.method().equals("PUT")
                    && r.query() != null && r.query().contains("partNumber="));
            int first = (int) PartPlan.DEFAULT.partSize(1);
            assertEquals(List.of(MultipartStream.crc32(data, first),
                    MultipartStream.crc32(Arrays.copyOfRange(data, first, data.length), data.length - first)),
                    parts.stream().map(r -> r.headers().get("x-amz-checksum-crc32")).toList());
            for (FaultRules.Request part : parts) {
                assertFalse(part.headers().getOrDefault("content-encoding", "").contains("aws-chunked"),
                        part.headers().toString());
                assertNull(part.headers().get("x-amz-trailer"), part.headers().toString());
            }
        }
        assertArrayEquals(data, s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray());
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
