package dev.pgbackup.common.db;

import java.time.Clock;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/**
 * IAM database authentication tokens: a SigV4 pre-signed {@code connect} request for a database user, signed
 * locally with the function's credentials (no call to AWS), valid for 15 minutes to open a connection. The same
 * request the SDK's {@code RdsUtilities.generateAuthenticationToken} signs (IamAuthTokensTest compares the two),
 * without the RDS client's 6 MB in every worker jar.
 */
public final class IamAuthTokens {
    static final Duration LIFETIME = Duration.ofMinutes(15);
    private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();

    private final AwsCredentialsProvider credentials;
    private final Region region;
    private final Clock clock;

    IamAuthTokens(AwsCredentialsProvider credentials, Region region, Clock clock) {
        this.credentials = credentials;
        this.region = region;
        this.clock = clock;
    }

    /** The function's own credentials and region (AWS_REGION), resolved when the first token is needed. */
    public static IamAuthTokens fromEnvironment(Clock clock) {
        return new IamAuthTokens(DefaultCredentialsProvider.builder().build(),
                new DefaultAwsRegionProviderChain().getRegion(), clock);
    }

    /** {@code host:port/?Action=connect&DBUser=user&X-Amz-...}: the password for one connection opened now. */
    String token(String host, int port, String user) {
        SdkHttpRequest connect = SdkHttpRequest.builder()
                .method(SdkHttpMethod.GET)
                .protocol("https")
                .host(host)
                .port(port)
                .encodedPath("/")
                .putRawQueryParameter("DBUser", user)
                .putRawQueryParameter("Action", "connect")
                .build();
        SdkHttpRequest signed = SIGNER.sign(r -> r.identity(credentials.resolveCredentials())
                .request(connect)
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "rds-db")
                .putProperty(AwsV4HttpSigner.REGION_NAME, region.id())
                .putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, LIFETIME)
                .putProperty(HttpSigner.SIGNING_CLOCK, clock)).request();
        return signed.getUri().toString().substring("https://".length());
    }
}
