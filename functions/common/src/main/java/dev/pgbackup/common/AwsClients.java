package dev.pgbackup.common;

import dev.pgbackup.common.config.Variable;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.multipart.MultipartConfiguration;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Builds the SDK clients once per container. In AWS the SDK's defaults apply; locally and in tests
 * {@code AWS_ENDPOINT_URL} points every client at an emulator and {@code S3_FORCE_PATH_STYLE} turns on
 * path-style addressing (emulators on localhost have no bucket sub-domains). Tests add interceptors that record
 * every call a function makes (to evaluate it against the IAM template.yaml grants); in AWS there are none.
 */
public final class AwsClients {
    private final Optional<URI> endpoint;
    private final boolean pathStyle;
    private final List<ExecutionInterceptor> interceptors;

    public AwsClients(Optional<URI> endpoint, boolean pathStyle) {
        this(endpoint, pathStyle, List.of());
    }

    public AwsClients(Optional<URI> endpoint, boolean pathStyle, List<ExecutionInterceptor> interceptors) {
        this.endpoint = endpoint;
        this.pathStyle = pathStyle;
        this.interceptors = List.copyOf(interceptors);
    }

    private ClientOverrideConfiguration overrides() {
        return overrides(ClientOverrideConfiguration.builder());
    }

    private ClientOverrideConfiguration overrides(ClientOverrideConfiguration.Builder builder) {
        interceptors.forEach(builder::addExecutionInterceptor);
        return builder.build();
    }

    static AwsClients fromEnvironment() {
        return from(System.getenv());
    }

    static AwsClients from(Map<String, String> env) {
        String url = Variable.AWS_ENDPOINT_URL.in(env);
        return new AwsClients(url == null ? Optional.empty() : Optional.of(URI.create(url)),
                Boolean.parseBoolean(Variable.S3_FORCE_PATH_STYLE.orDefault(env)));
    }

    /**
     * A client of any other service with this container's endpoint settings (the SDK's defaults in AWS, the emulator
     * locally): for services only one function uses, whose SDK only that function's jar carries.
     */
    public <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, C> & software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder<B, C>, C> C build(
            B builder) {
        builder.httpClient(UrlConnectionHttpClient.create()).overrideConfiguration(overrides());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    public S3Client s3() {
        var builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(60)).build())
                .overrideConfiguration(overrides())
                .forcePathStyle(pathStyle);
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    /**
     * The S3 clients that move archives: one for the upload's requests and one parallel downloader, sharing one
     * async HTTP client built on first use (only the workers move archives; the API functions never load Netty).
     */
    public final class ArchiveClients {
        private SdkAsyncHttpClient http;
        private S3AsyncClient downloader;
        private S3AsyncClient transfers;

        private synchronized SdkAsyncHttpClient http() {
            if (http == null) {
                http = NettyNioAsyncHttpClient.builder()
                        .maxConcurrency(32)
                        .connectionTimeout(Duration.ofSeconds(10))
                        .readTimeout(Duration.ofSeconds(120))
                        .writeTimeout(Duration.ofSeconds(120))
                        .build();
            }
            return http;
        }

        /** Plain requests (the archive upload's own multipart calls, see storage.MultipartStream) on the shared client. */
        public synchronized S3AsyncClient transfers() {
            if (transfers == null) {
                transfers = build(null);
            }
            return transfers;
        }

        /** The SDK's parallel multipart download: the parts of an archive fetched at once into a file. */
        public synchronized S3AsyncClient downloader() {
            if (downloader == null) {
                downloader = build(MultipartConfiguration.builder()
                        .parallelConfiguration(p -> p.maxInFlightParts(PARALLEL_PARTS)).build());
            }
            return downloader;
        }

        private S3AsyncClient build(MultipartConfiguration multipart) {
            var builder = S3AsyncClient.builder()
                    .httpClient(http())
                    .overrideConfiguration(overrides())
                    .forcePathStyle(pathStyle)
                    .multipartEnabled(multipart != null)
                    // moto's HTTP server answers "100 Continue" in a way the Netty client takes as the final
                    // response; the header only saves a wasted body on a refused request, so emulators go without
                    .serviceConfiguration(S3Configuration.builder().expectContinueEnabled(endpoint.isEmpty()).build());
            if (multipart != null) {
                builder.multipartConfiguration(multipart);
            }
            endpoint.ifPresent(builder::endpointOverride);
            return builder.build();
        }
    }

    /** Parts downloaded at once: enough to fill a Lambda's network, few enough for its memory (8 MiB+ each). */
    static final int PARALLEL_PARTS = 8;

    public ArchiveClients archiveClients() {
        return new ArchiveClients();
    }

    public SsmClient ssm() {
        var builder = SsmClient.builder().httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(overrides());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    /** KMS for the workers' client-side encryption (only the worker jars carry the KMS SDK). */
    public software.amazon.awssdk.services.kms.KmsClient kms() {
        var builder = software.amazon.awssdk.services.kms.KmsClient.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(overrides());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    /** Only the workers call this (the database secret): the other functions' jars do not carry the client. */
    public software.amazon.awssdk.services.secretsmanager.SecretsManagerClient secretsManager() {
        var builder = software.amazon.awssdk.services.secretsmanager.SecretsManagerClient.builder()
                .httpClient(UrlConnectionHttpClient.create()).overrideConfiguration(overrides());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    public LambdaClient lambda() {
        var builder = LambdaClient.builder().httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(overrides());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    /**
     * Announcing a finished job must cost it seconds at most, whatever the bus or topic does: short connect, read
     * and call timeouts, and one retry instead of the SDK's default three.
     */
    static final Duration NOTICE_ATTEMPT = Duration.ofSeconds(3);
    static final Duration NOTICE_CALL = Duration.ofSeconds(7);
    static final int NOTICE_ATTEMPTS = 2;

    private ClientOverrideConfiguration notices() {
        return overrides(ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(NOTICE_ATTEMPT)
                .apiCallTimeout(NOTICE_CALL)
                .retryStrategy(
                        AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(NOTICE_ATTEMPTS).build()));
    }

    private static UrlConnectionHttpClient.Builder noticeHttp() {
        return UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(2)).socketTimeout(NOTICE_ATTEMPT);
    }

    /** Only the workers, which announce their jobs, ship the EventBridge SDK. */
    public EventBridgeClient eventBridge() {
        var builder = EventBridgeClient.builder().httpClient(noticeHttp().build()).overrideConfiguration(notices());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    public SnsClient sns() {
        var builder = SnsClient.builder().httpClient(noticeHttp().build()).overrideConfiguration(notices());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }
}
