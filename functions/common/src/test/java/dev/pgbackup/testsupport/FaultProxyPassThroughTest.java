package dev.pgbackup.testsupport;

import static dev.pgbackup.testsupport.FaultProxyFixture.MB;
import static dev.pgbackup.testsupport.FaultProxyFixture.bucket;
import static dev.pgbackup.testsupport.FaultProxyFixture.bytes;
import static dev.pgbackup.testsupport.FaultProxyFixture.proxy;
import static dev.pgbackup.testsupport.FaultProxyFixture.s3;
import static dev.pgbackup.testsupport.FaultProxyFixture.s3Async;
import static dev.pgbackup.testsupport.FaultProxyFixture.ssm;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.BlockingInputStreamAsyncRequestBody;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The fault proxy is transparent for what the product does against S3 and SSM (single and multipart uploads,
 * conditional puts, downloads, deletes, parameters), and it lists every write with its key.
 */
class FaultProxyPassThroughTest {
    @BeforeAll
    static void startTheProxy() {
        FaultProxyFixture.start();
    }

    @AfterAll
    static void stopTheProxy() {
        FaultProxyFixture.stop();
    }

    @BeforeEach
    void freshBucket() {
        FaultProxyFixture.freshBucket();
    }

    @Test
    void objectCallsPassThroughUnchanged() throws IOException {
        byte[] data = bytes(300_000, 1);
        PutObjectResponse put = s3.putObject(
                b -> b.bucket(bucket).key("dir/a b+c.dump").metadata(Map.of("who", "test")),
                RequestBody.fromBytes(data));
        assertNotNull(put.eTag());

        ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(bucket).key("dir/a b+c.dump"));
        assertArrayEquals(data, got.asByteArray());
        assertEquals(put.eTag(), got.response().eTag());
        assertEquals("test", got.response().metadata().get("who"));

        HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key("dir/a b+c.dump"));
        assertEquals(data.length, head.contentLength());
        assertEquals(put.eTag(), head.eTag());
        assertNotNull(head.lastModified());

        s3.putObject(b -> b.bucket(bucket).key("dir/second"), RequestBody.fromString("2"));
        List<String> keys = s3.listObjectsV2(b -> b.bucket(bucket).prefix("dir/")).contents().stream()
                .map(S3Object::key).toList();
        assertEquals(List.of("dir/a b+c.dump", "dir/second"), keys);

        s3.deleteObject(b -> b.bucket(bucket).key("dir/second"));
        s3.deleteObjects(b -> b.bucket(bucket).delete(Delete.builder()
                .objects(ObjectIdentifier.builder().key("dir/a b+c.dump").build()).build()));
        assertThrows(NoSuchKeyException.class, () -> s3.getObject(b -> b.bucket(bucket).key("dir/a b+c.dump")));
        assertEquals(0, s3.listObjectsV2(b -> b.bucket(bucket)).keyCount());

        List<FaultProxy.Request> requests = proxy.requests();
        assertTrue(requests.stream().noneMatch(FaultProxy.Request::injected), requests.toString());
        FaultProxy.Request headRequest = requests.stream().filter(r -> r.method().equals("HEAD")).findFirst()
                .orElseThrow();
        assertEquals(200, headRequest.status());
        assertEquals("dir/a b+c.dump", headRequest.s3Key(bucket));
        assertNull(headRequest.s3Key("another-bucket"));
        assertEquals(404, requests.get(requests.size() - 2).status(), requests.toString());
    }

    @Test
    void multipartUploadOfTwentyMegabytesFromAStreamArrivesByteForByte() throws IOException {
        byte[] data = bytes(20 * MB, 2);
        String key = "big/base.dump";
        BlockingInputStreamAsyncRequestBody body = AsyncRequestBody.forBlockingInputStream(null);
        CompletableFuture<PutObjectResponse> upload = s3Async.putObject(b -> b.bucket(bucket).key(key), body);
        body.writeInputStream(new ByteArrayInputStream(data));
        upload.join();

        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(key))) {
            assertEquals(data.length, in.response().contentLength());
            assertArrayEquals(data, in.readAllBytes());
        }

        List<FaultProxy.Request> writes = proxy.writes();
        assertTrue(writes.stream().anyMatch(r -> r.method().equals("POST") && r.hasQueryParam("uploads")),
                writes.toString());
        List<FaultProxy.Request> parts = writes.stream().filter(r -> r.hasQueryParam("partNumber")).toList();
        assertTrue(parts.size() >= 2, writes.toString());
        assertTrue(parts.stream().allMatch(r -> key.equals(r.s3Key(bucket)) && r.status() == 200), parts.toString());
        assertTrue(writes.stream().anyMatch(r -> r.method().equals("POST") && r.hasQueryParam("uploadId")
                && r.status() == 200), writes.toString());
    }

    @Test
    void conditionalPutOnAnExistingKeyIsStillRefused() {
        s3.putObject(b -> b.bucket(bucket).key("lock").ifNoneMatch("*"), RequestBody.fromString("first"));
        S3Exception refused = assertThrows(S3Exception.class, () -> s3
                .putObject(b -> b.bucket(bucket).key("lock").ifNoneMatch("*"), RequestBody.fromString("second")));
        assertEquals(412, refused.statusCode());
        assertEquals("first", s3.getObjectAsBytes(b -> b.bucket(bucket).key("lock")).asUtf8String());
        List<FaultProxy.Request> puts = proxy.requests(FaultProxy.s3("PUT", "lock", null));
        assertEquals(2, puts.size(), puts.toString());
        assertEquals("*", puts.get(1).header("If-None-Match"));
        assertEquals(412, puts.get(1).status());
    }

    @Test
    void everyWriteIsListedWithItsKey() {
        String name = "/fault-proxy/" + bucket + "/host";
        s3.putObject(b -> b.bucket(bucket).key("a/1.dump"), RequestBody.fromString("1"));
        s3.putObject(b -> b.bucket(bucket).key("a/2.dump"), RequestBody.fromString("2"));
        s3.getObjectAsBytes(b -> b.bucket(bucket).key("a/1.dump"));
        s3.headObject(b -> b.bucket(bucket).key("a/2.dump"));
        s3.listObjectsV2(b -> b.bucket(bucket));
        s3.deleteObject(b -> b.bucket(bucket).key("a/1.dump"));
        s3.deleteObjects(b -> b.bucket(bucket).delete(Delete.builder()
                .objects(ObjectIdentifier.builder().key("a/2.dump").build()).build()));
        ssm.putParameter(b -> b.name(name).value("db").type(ParameterType.STRING).overwrite(true));
        ssm.getParameter(b -> b.name(name));
        ssm.getParametersByPath(b -> b.path("/fault-proxy/" + bucket));

        List<String> writes = proxy.writes().stream().map(r -> r.method() + " "
                + (r.ssmTarget() != null ? r.ssmTarget()
                        : r.s3Key(bucket) + (r.query() != null ? "?" + r.query() : "")))
                .toList();
        assertEquals(List.of("PUT a/1.dump", "PUT a/2.dump", "DELETE a/1.dump", "POST null?delete",
                "POST AmazonSSM.PutParameter"), writes);
        assertEquals(10, proxy.requests().size(), proxy.requests().toString());
        assertFalse(proxy.requests().stream().anyMatch(FaultProxy.Request::injected));
    }
}
