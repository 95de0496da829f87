package dev.pgbackup.testsupport;

import static dev.pgbackup.testsupport.FaultProxyFixture.CREDENTIALS;
import static dev.pgbackup.testsupport.FaultProxyFixture.MB;
import static dev.pgbackup.testsupport.FaultProxyFixture.attempts;
import static dev.pgbackup.testsupport.FaultProxyFixture.bucket;
import static dev.pgbackup.testsupport.FaultProxyFixture.bytes;
import static dev.pgbackup.testsupport.FaultProxyFixture.describe;
import static dev.pgbackup.testsupport.FaultProxyFixture.drain;
import static dev.pgbackup.testsupport.FaultProxyFixture.mentions;
import static dev.pgbackup.testsupport.FaultProxyFixture.proxy;
import static dev.pgbackup.testsupport.FaultProxyFixture.s3;
import static dev.pgbackup.testsupport.FaultProxyFixture.s3Async;
import static dev.pgbackup.testsupport.FaultProxyFixture.ssm;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.async.BlockingInputStreamAsyncRequestBody;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.SsmException;

/**
 * The fault proxy's faults reach the SDK as the real services' would: failed parts, truncated downloads, dropped
 * connections, throttling and delays.
 */
class FaultProxyFaultsTest {
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
    void aFailingSecondUploadPartFailsTheUpload() throws Exception {
        FaultProxy.Rule rule = proxy.when(FaultProxy.s3("PUT", ".*\\.dump", "partNumber"))
                .afterPasses(1).times(10).respondS3Error(500, "InternalError", "injected by the test");
        byte[] data = bytes(20 * MB, 3);
        BlockingInputStreamAsyncRequestBody body = AsyncRequestBody.forBlockingInputStream(null);
        CompletableFuture<PutObjectResponse> upload = s3Async.putObject(b -> b.bucket(bucket).key("x/base.dump"), body);
        CompletableFuture<Void> writer = CompletableFuture
                .runAsync(() -> body.writeInputStream(new ByteArrayInputStream(data)));

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
        assertTrue(
                gets.stream().allMatch(r -> r.status() / 100 == 2 && ("truncateResponseAfter " + MB).equals(r.fault())),
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
}
