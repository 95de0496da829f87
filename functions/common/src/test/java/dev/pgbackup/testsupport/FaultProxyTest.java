package dev.pgbackup.testsupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.async.BlockingInputStreamAsyncRequestBody;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** The fault proxy is transparent for what the product does against S3 and SSM, and its faults reach the SDK. */
class FaultProxyTest {
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    private static final int MB = 1024 * 1024;
    private static final AtomicInteger NAMES = new AtomicInteger();

    private static FaultProxy proxy;
    private static S3Client s3;
    private static S3AsyncClient s3Async;
    private static SsmClient ssm;
    private String bucket;

    @BeforeAll
    static void start() {
        proxy = FaultProxy.start(MotoServer.get().endpoint());
        s3 = S3Client.builder()
                .endpointOverride(proxy.endpoint())
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClient(UrlConnectionHttpClient.create())
                .build();
        s3Async = S3AsyncClient.builder()
                .endpointOverride(proxy.endpoint())
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClient(NettyNioAsyncHttpClient.create())
                .multipartEnabled(true)
                .build();
        ssm = SsmClient.builder()
                .endpointOverride(proxy.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
            s3Async.close();
            ssm.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @BeforeEach
    void freshBucket() {
        proxy.clearRules();
        bucket = "fault-proxy-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
        s3.createBucket(b -> b.bucket(bucket));
        proxy.clearRequests();
    }

    @Test
    void objectCallsPassThroughUnchanged() throws IOException {
        byte[] data = bytes(300_000, 1);
        PutObjectResponse put = s3.putObject(b -> b.bucket(bucket).key("dir/a b+c.dump").metadata(Map.of("who", "test")),
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
        assertTrue(writes.stream().anyMatch(r -> r.method().equals("POST") && r.hasQueryParam("uploads")), writes.toString());
        List<FaultProxy.Request> parts = writes.stream().filter(r -> r.hasQueryParam("partNumber")).toList();
        assertTrue(parts.size() >= 2, writes.toString());
        assertTrue(parts.stream().allMatch(r -> key.equals(r.s3Key(bucket)) && r.status() == 200), parts.toString());
        assertTrue(writes.stream().anyMatch(r -> r.method().equals("POST") && r.hasQueryParam("uploadId")
                && r.status() == 200), writes.toString());
    }

    @Test
    void conditionalPutOnAnExistingKeyIsStillRefused() {
        s3.putObject(b -> b.bucket(bucket).key("lock").ifNoneMatch("*"), RequestBody.fromString("first"));
        S3Exception refused = assertThrows(S3Exception.class, () ->
                s3.putObject(b -> b.bucket(bucket).key("lock").ifNoneMatch("*"), RequestBody.fromString("second")));
        assertEquals(412, refused.statusCode());
        assertEquals("first", s3.getObjectAsBytes(b -> b.bucket(bucket).key("lock")).asUtf8String());
        List<FaultProxy.Request> puts = proxy.requests(FaultProxy.s3("PUT", "lock", null));
        assertEquals(2, puts.size(), puts.toString());
        assertEquals("*", puts.get(1).header("If-None-Match"));
        assertEquals(412, puts.get(1).status());
    }

    @Test
    void aFailingSecondUploadPartFailsTheUpload() throws Exception {
        FaultProxy.Rule rule = proxy.when(FaultProxy.s3("PUT", ".*\\.dump", "partNumber"))
                .afterPasses(1).times(10).respondS3Error(500, "InternalError", "injected by the test");
        byte[] data = bytes(20 * MB, 3);
        BlockingInputStreamAsyncRequestBody body = AsyncRequestBody.forBlockingInputStream(null);
        CompletableFuture<PutObjectResponse> upload = s3Async.putObject(b -> b.bucket(bucket).key("x/base.dump"), body);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() ->
                body.writeInputStream(new ByteArrayInputStream(data)));

        ExecutionException failed = assertThrows(ExecutionException.class, () -> upload.get(30, TimeUnit.SECONDS));
        // A part from a blocking stream cannot be sent again: the SDK's retry fails at once with "Multiple
        // subscribers detected" (NonRetryableException), the 500 is attached to it as a suppressed exception.
        assertTrue(failed.getCause() instanceof SdkException, failed::toString);
        assertTrue(mentions(failed, "Status Code: 500"), () -> "the 500 is not reported: " + describe(failed));
        writer.handle((ok, e) -> null).get(30, TimeUnit.SECONDS);

        assertTrue(rule.injected() >= 1);
        List<FaultProxy.Request> answered = proxy.requests(r -> r.injected() && r.status() == 500);
        assertFalse(answered.isEmpty(), proxy.requests().toString());
        assertTrue(answered.stream().allMatch(r -> "S3 500 InternalError".equals(r.fault())
                && "x/base.dump".equals(r.s3Key(bucket)) && r.hasQueryParam("partNumber")), answered.toString());
        // the SDK aborts the upload; it never completes it
        Waits.until(Duration.ofSeconds(10), "the multipart upload to be aborted",
                () -> !proxy.requests(r -> r.method().equals("DELETE") && r.hasQueryParam("uploadId")
                        && r.status() == 204).isEmpty());
        assertTrue(proxy.requests(r -> r.method().equals("POST") && r.hasQueryParam("uploadId")).isEmpty(),
                proxy.requests().toString());
        assertThrows(NoSuchKeyException.class, () -> s3.headObject(b -> b.bucket(bucket).key("x/base.dump")));
    }

    @Test
    void aTruncatedDownloadIsCaughtByTheChecksumOrTheAsyncClient() throws Exception {
        byte[] data = bytes(20 * MB, 4);
        s3.putObject(b -> b.bucket(bucket).key("cut.dump"), RequestBody.fromBytes(data)); // with a CRC32 (SDK default)
        FaultProxy.Rule rule = proxy.when(FaultProxy.s3("GET", "cut\\.dump", null)).truncateResponseAfter(MB);

        // checksum mode on: reading the stream throws once it ends short
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key("cut.dump")
                .checksumMode(ChecksumMode.ENABLED))) {
            assertEquals(data.length, in.response().contentLength());
            SdkClientException e = assertThrows(SdkClientException.class, () -> drain(in));
            assertTrue(e.getMessage().contains("checksum"), e::toString);
        }
        // without it the url-connection client ends the stream quietly after the bytes that came: only a caller
        // comparing the count with Content-Length notices (this is what the product has to do or avoid)
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key("cut.dump"))) {
            assertEquals(data.length, in.response().contentLength());
            assertEquals(MB, drain(in));
        }
        // the netty client checks Content-Length: every attempt fails, then the call
        CompletionException async = assertThrows(CompletionException.class, () -> s3Async.getObject(
                b -> b.bucket(bucket).key("cut.dump"), AsyncResponseTransformer.toBytes()).join());
        assertTrue(async.getCause() instanceof SdkClientException, async::toString);
        assertTrue(async.getCause().getMessage().contains("content-length"), async::toString);
        int attempts = attempts(async.getCause());
        assertTrue(attempts > 1, async::toString);
        assertEquals(2 + attempts, rule.injected());
        List<FaultProxy.Request> gets = proxy.requests(FaultProxy.s3("GET", "cut\\.dump", null));
        assertEquals(2 + attempts, gets.size(), gets.toString());
        assertTrue(gets.stream().allMatch(r -> r.status() / 100 == 2 && ("truncateResponseAfter " + MB).equals(r.fault())),
                gets.toString());

        // a reset instead of an orderly close: an IOException for every client
        proxy.clearRules();
        proxy.when(FaultProxy.s3("GET", "cut\\.dump", null)).times(1).resetResponseAfter(MB);
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key("cut.dump"))) {
            assertThrows(IOException.class, () -> drain(in));
        }
        // rules spent: the download is whole
        proxy.clearRules();
        assertArrayEquals(data, s3.getObjectAsBytes(b -> b.bucket(bucket).key("cut.dump")).asByteArray());
    }

    @Test
    void aDroppedConnectionFailsGetParameterOnceTheRetriesAreSpent() {
        String name = "/fault-proxy/" + bucket + "/password";
        ssm.putParameter(b -> b.name(name).value("s3cret").type(ParameterType.SECURE_STRING).overwrite(true));

        FaultProxy.Rule always = proxy.when(FaultProxy.ssm("GetParameter")).dropConnection();
        SdkClientException failed = assertThrows(SdkClientException.class,
                () -> ssm.getParameter(b -> b.name(name).withDecryption(true)));
        // a POST with a body: the url-connection client does not resend it, so one drop per SDK attempt
        assertEquals(attempts(failed), always.injected(), failed::toString);
        assertTrue(always.injected() > 1, "the SDK retried: " + always.injected());
        assertTrue(proxy.requests(FaultProxy.ssm("GetParameter")).stream()
                .allMatch(r -> r.status() == 0 && "dropConnection".equals(r.fault())));

        proxy.clearRules();
        FaultProxy.Rule once = proxy.when(FaultProxy.ssm("GetParameter")).times(1).dropConnection();
        assertEquals("s3cret", ssm.getParameter(b -> b.name(name).withDecryption(true)).parameter().value());
        assertEquals(1, once.injected());
    }

    @Test
    void throttlingOnceIsRetriedBySdk() {
        String name = "/fault-proxy/" + bucket + "/user";
        ssm.putParameter(b -> b.name(name).value("backup").type(ParameterType.STRING).overwrite(true));
        proxy.clearRequests();
        FaultProxy.Rule throttle = proxy.when(FaultProxy.ssm("GetParameter")).times(1)
                .respondSsmError(400, "ThrottlingException", "Rate exceeded");

        assertEquals("backup", ssm.getParameter(b -> b.name(name)).parameter().value());
        assertEquals(1, throttle.injected());
        List<FaultProxy.Request> calls = proxy.requests();
        assertEquals(2, calls.size(), calls.toString());
        assertEquals(400, calls.get(0).status());
        assertEquals("SSM 400 ThrottlingException", calls.get(0).fault());
        assertEquals(200, calls.get(1).status());
        assertNull(calls.get(1).fault());
        assertEquals("AmazonSSM.GetParameter", calls.get(1).ssmTarget());

        // without retries the error itself reaches the caller, parsed
        try (SsmClient noRetries = SsmClient.builder()
                .endpointOverride(proxy.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build()) {
            proxy.clearRules();
            proxy.when(FaultProxy.ssm("GetParameter")).times(1)
                    .respondSsmError(400, "ThrottlingException", "Rate exceeded");
            SsmException e = assertThrows(SsmException.class, () -> noRetries.getParameter(b -> b.name(name)));
            assertEquals(400, e.statusCode());
            assertEquals("ThrottlingException", e.awsErrorDetails().errorCode());
            assertEquals("Rate exceeded", e.awsErrorDetails().errorMessage());
        }
    }

    @Test
    void aDelayHoldsTheRequestAndThenForwardsIt() {
        s3.putObject(b -> b.bucket(bucket).key("slow"), RequestBody.fromString("slow"));
        FaultProxy.Rule slow = proxy.when(FaultProxy.s3("HEAD", "slow", null)).delay(Duration.ofMillis(400));
        long start = System.nanoTime();
        assertEquals(4, s3.headObject(b -> b.bucket(bucket).key("slow")).contentLength());
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(400).toNanos());
        assertEquals(1, slow.injected());
        FaultProxy.Request head = proxy.requests(FaultProxy.s3("HEAD", null, null)).get(0);
        assertEquals(200, head.status());
        assertEquals("delay PT0.4S", head.fault());
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
                + (r.ssmTarget() != null ? r.ssmTarget() : r.s3Key(bucket) + (r.query() != null ? "?" + r.query() : "")))
                .toList();
        assertEquals(List.of("PUT a/1.dump", "PUT a/2.dump", "DELETE a/1.dump", "POST null?delete",
                "POST AmazonSSM.PutParameter"), writes);
        assertEquals(10, proxy.requests().size(), proxy.requests().toString());
        assertFalse(proxy.requests().stream().anyMatch(FaultProxy.Request::injected));
    }

    /** The "(SDK Attempt Count: n)" of an SDK exception. */
    private static int attempts(Throwable e) {
        Matcher m = Pattern.compile("SDK Attempt Count: (\\d+)").matcher(String.valueOf(e.getMessage()));
        assertTrue(m.find(), () -> "no attempt count in " + e);
        return Integer.parseInt(m.group(1));
    }

    private static long drain(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            total += n;
        }
        return total;
    }

    /** Whether the exception, its causes or their suppressed exceptions mention {@code text}. */
    private static boolean mentions(Throwable t, String text) {
        if (t == null) {
            return false;
        }
        if (String.valueOf(t.getMessage()).contains(text) || mentions(t.getCause(), text)) {
            return true;
        }
        return Arrays.stream(t.getSuppressed()).anyMatch(s -> mentions(s, text));
    }

    private static String describe(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c).append(" suppressed ").append(Arrays.toString(c.getSuppressed())).append("; ");
        }
        return b.toString();
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
