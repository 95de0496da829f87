package dev.pgbackup.testsupport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * What the checks of {@link FaultProxy} share ({@link FaultProxyPassThroughTest}, {@link FaultProxyFaultsTest}): a
 * proxy in front of moto, SDK clients (sync and async S3, SSM) that talk through it, a fresh bucket per test, and
 * helpers that read what the SDK's exceptions say. In a class of its own so that each test class holds one concern.
 */
final class FaultProxyFixture {
    static final StaticCredentialsProvider CREDENTIALS = StaticCredentialsProvider
            .create(AwsBasicCredentials.create("test", "test"));
    static final int MB = 1024 * 1024;
    static final AtomicInteger NAMES = new AtomicInteger();

    static FaultProxy proxy;
    static S3Client s3;
    static S3AsyncClient s3Async;
    static SsmClient ssm;
    static String bucket;

    private FaultProxyFixture() {}

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

    static void freshBucket() {
        proxy.clearRules();
        bucket = "fault-proxy-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
        s3.createBucket(b -> b.bucket(bucket));
        proxy.clearRequests();
    }

    /** The "(SDK Attempt Count: n)" of an SDK exception. */
    static int attempts(Throwable e) {
        Matcher m = Pattern.compile("SDK Attempt Count: (\\d+)").matcher(String.valueOf(e.getMessage()));
        assertTrue(m.find(), () -> "no attempt count in " + e);
        return Integer.parseInt(m.group(1));
    }

    static long drain(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            total += n;
        }
        return total;
    }

    /** Whether the exception, its causes or their suppressed exceptions mention {@code text}. */
    static boolean mentions(Throwable t, String text) {
        if (t == null) {
            return false;
        }
        if (String.valueOf(t.getMessage()).contains(text) || mentions(t.getCause(), text)) {
            return true;
        }
        return Arrays.stream(t.getSuppressed()).anyMatch(s -> mentions(s, text));
    }

    static String describe(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c).append(" suppressed ").append(Arrays.toString(c.getSuppressed())).append("; ");
        }
        return b.toString();
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
