package dev.pgbackup.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.rds.RdsUtilities;

/** The tokens are what the SDK's RdsUtilities signs (same parameters, same signature) and have the shape RDS expects. */
class IamAuthTokensTest {
    static final StaticCredentialsProvider CREDENTIALS = StaticCredentialsProvider
            .create(AwsBasicCredentials.create("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
    static final String HOST = "prod.abc123xyz.eu-west-1.rds.amazonaws.com";

    @Test
    void theTokenIsTheOneRdsUtilitiesSigns() {
        String sdk = RdsUtilities.builder().credentialsProvider(CREDENTIALS).region(Region.EU_WEST_1).build()
                .generateAuthenticationToken(b -> b.hostname(HOST).port(5432).username("backup_user"));
        // the same instant the SDK signed at (X-Amz-Date has whole seconds): the two must be identical
        Matcher date = Pattern.compile("X-Amz-Date=(\\d{8}T\\d{6}Z)").matcher(sdk);
        assertTrue(date.find(), sdk);
        Instant signedAt = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssX").parse(date.group(1), Instant::from);
        String ours = new IamAuthTokens(CREDENTIALS, Region.EU_WEST_1, Clock.fixed(signedAt, ZoneOffset.UTC))
                .token(HOST, 5432, "backup_user");
        // the same signature over the same parameters (the signers order the query differently; RDS does not care)
        assertEquals(sdk.substring(0, sdk.indexOf('?')), ours.substring(0, ours.indexOf('?')));
        assertEquals(parameters(sdk), parameters(ours));
    }

    static java.util.List<String> parameters(String token) {
        return java.util.Arrays.stream(token.substring(token.indexOf('?') + 1).split("&")).sorted().toList();
    }

    @Test
    void aTokenConnectsOneUserToOneEndpointForFifteenMinutes() {
        Instant at = Instant.parse("2026-11-28T10:00:00Z");
        String token = new IamAuthTokens(CREDENTIALS, Region.EU_WEST_1, Clock.fixed(at, ZoneOffset.UTC))
                .token(HOST, 5432, "backup_user");
        assertTrue(token.startsWith(HOST + ":5432/?"), token);
        assertTrue(token.contains("Action=connect"), token);
        assertTrue(token.contains("DBUser=backup_user"), token);
        assertTrue(token.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256"), token);
        assertTrue(token.contains("X-Amz-Credential=AKIDEXAMPLE%2F20261128%2Feu-west-1%2Frds-db%2Faws4_request"),
                token);
        assertTrue(token.contains("X-Amz-Date=20261128T100000Z"), token);
        assertTrue(token.contains("X-Amz-Expires=900"), token);
        assertTrue(token.matches(".*X-Amz-Signature=[0-9a-f]{64}$"), token);
    }

    @Test
    void everyConnectionGetsItsOwnSignature() {
        Instant at = Instant.parse("2026-11-28T10:00:00Z");
        String first = new IamAuthTokens(CREDENTIALS, Region.EU_WEST_1, Clock.fixed(at, ZoneOffset.UTC))
                .token(HOST, 5432, "backup_user");
        String later = new IamAuthTokens(CREDENTIALS, Region.EU_WEST_1,
                Clock.fixed(at.plusSeconds(600), ZoneOffset.UTC))
                .token(HOST, 5432, "backup_user");
        String otherUser = new IamAuthTokens(CREDENTIALS, Region.EU_WEST_1, Clock.fixed(at, ZoneOffset.UTC))
                .token(HOST, 5432, "other_user");
        assertNotEquals(first, later);
        assertNotEquals(first.substring(first.indexOf("X-Amz-Signature")),
                otherUser.substring(otherUser.indexOf("X-Amz-Signature")));
    }
}
