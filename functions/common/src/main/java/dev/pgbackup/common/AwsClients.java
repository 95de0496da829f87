package dev.pgbackup.common;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongFunction;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.multipart.MultipartConfiguration;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Builds the SDK clients once per container. In AWS the SDK's defaults apply; locally and in tests
 * {@code AWS_ENDPOINT_URL} points every client at an emulator and {@code S3_FORCE_PATH_STYLE} turns on
 * path-style addressing (emulators on localhost have no bucket sub-domains).
 */
public final class AwsClients {
    private final Optional<URI> endpoint;
    private final boolean pathStyle;

    public AwsClients(Optional<URI> endpoint, boolean pathStyle) {
        this.endpoint = endpoint;
        this.pathStyle = pathStyle;
    }

    public static AwsClients fromEnvironment() {
        return from(System.getenv());
    }

    public static AwsClients from(Map<String, String> env) {
        String url = env.get("AWS_ENDPOINT_URL");
        return new AwsClients(url == null || url.isBlank() ? Optional.empty() : Optional.of(URI.create(url.trim())),
                Boolean.parseBoolean(env.getOrDefault("S3_FORCE_PATH_STYLE", "false")));
    }

    public S3Client s3() {
        var builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(60)).build())
                .forcePathStyle(pathStyle);
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    /**
     * Multipart upload clients by part size, sharing one async HTTP client built on first use (only the
     * backup worker uploads; the other functions never load Netty).
     */
    public LongFunction<S3AsyncClient> multipartFactory() {
        return new LongFunction<>() {
            private SdkAsyncHttpClient http;

            @Override
            public synchronized S3AsyncClient apply(long partSize) {
                if (http == null) {
                    http = asyncHttp();
                }
                return multipartS3(http, partSize);
            }
        };
    }

    private SdkAsyncHttpClient asyncHttp() {
        return NettyNioAsyncHttpClient.builder()
                .maxConcurrency(16)
                .connectionTimeout(Duration.ofSeconds(10))
                .readTimeout(Duration.ofSeconds(120))
                .writeTimeout(Duration.ofSeconds(120))
                .build();
    }

    /**
     * The SDK's multipart upload machinery for a stream of unknown length. Its part size does not grow,
     * so the caller sizes it to the database; the buffer holds several parts (fewer than two hangs).
     */
    private S3AsyncClient multipartS3(SdkAsyncHttpClient http, long partSizeBytes) {
        var builder = S3AsyncClient.builder()
                .httpClient(http)
                .forcePathStyle(pathStyle)
                .multipartEnabled(true)
                .multipartConfiguration(MultipartConfiguration.builder()
                        .minimumPartSizeInBytes(partSizeBytes)
                        .thresholdInBytes(partSizeBytes)
                        .apiCallBufferSizeInBytes(partSizeBytes * 3)
                        .build())
                // moto's HTTP server answers "100 Continue" in a way the Netty client takes as the final
                // response; the header only saves a wasted body on a refused request, so emulators go without
                .serviceConfiguration(S3Configuration.builder().expectContinueEnabled(endpoint.isEmpty()).build());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    public SsmClient ssm() {
        var builder = SsmClient.builder().httpClient(UrlConnectionHttpClient.create());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    public LambdaClient lambda() {
        var builder = LambdaClient.builder().httpClient(UrlConnectionHttpClient.create());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }
}
