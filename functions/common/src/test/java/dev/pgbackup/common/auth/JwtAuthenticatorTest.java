package dev.pgbackup.common.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.failure.Failure;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The token rules as a table, in milliseconds: every refusal has its status and no token content in its message. */
class JwtAuthenticatorTest {
    static final String SECRET = "unit-test-secret-unit-test-secret-0123";
    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Config.JwtPolicy POLICY = new Config.JwtPolicy("WEB_ACCESS", "roles", Duration.ofHours(12), null,
            null);

    static JwtAuthenticator auth(Config.JwtPolicy policy, String secret) {
        return new JwtAuthenticator(name -> secret, "/app/jwt", policy, CLOCK);
    }

    static String token(UnaryOperator<JWTCreator.Builder> edit) {
        JWTCreator.Builder b = JWT.create().withSubject("alice").withArrayClaim("roles", new String[] {"WEB_ACCESS"})
                .withExpiresAt(NOW.plusSeconds(600));
        return edit.apply(b).sign(Algorithm.HMAC256(SECRET));
    }

    static Map<String, String> bearer(String token) {
        return Map.of("authorization", "Bearer " + token);
    }

    static int status(JwtAuthenticator auth, Map<String, String> headers) {
        try {
            auth.authenticate(headers);
            return 200;
        } catch (Failure f) {
            return f.status();
        }
    }

    static String unsigned(String payloadJson) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8)) + ".";
    }

    static Stream<Arguments> tokens() {
        long later = NOW.plusSeconds(600).getEpochSecond();
        return Stream.of(
                Arguments.of("valid", bearer(token(b -> b)), 200),
                Arguments.of("roles as a string", bearer(token(b -> b.withClaim("roles", "X,WEB_ACCESS"))), 200),
                Arguments.of("lower-case scheme", Map.of("Authorization", "bearer " + token(b -> b)), 200),
                Arguments.of("no header", Map.of(), 401),
                Arguments.of("basic", Map.of("authorization", "Basic dXNlcjpwYXNz"), 401),
                Arguments.of("empty bearer", Map.of("authorization", "Bearer "), 401),
                Arguments.of("garbage", bearer("not.a.jwt"), 401),
                Arguments.of("huge", bearer("a".repeat(20_000)), 401),
                Arguments.of("alg none",
                        bearer(unsigned("{\"sub\":\"m\",\"roles\":[\"WEB_ACCESS\"],\"exp\":" + later + "}")), 401),
                Arguments.of("wrong key",
                        bearer(JWT.create().withSubject("x").withArrayClaim("roles", new String[] {"WEB_ACCESS"})
                                .withExpiresAt(NOW.plusSeconds(60))
                                .sign(Algorithm.HMAC256("another-secret-another-secret-123456"))),
                        401),
                Arguments.of("expired", bearer(token(b -> b.withExpiresAt(NOW.minusSeconds(3600)))), 401),
                Arguments.of("no exp",
                        bearer(JWT.create().withSubject("x").withArrayClaim("roles", new String[] {"WEB_ACCESS"})
                                .sign(Algorithm.HMAC256(SECRET))),
                        401),
                Arguments.of("exp null", bearer(token(b -> b.withNullClaim("exp"))), 401),
                Arguments.of("exp a string", bearer(token(b -> b.withClaim("exp", "" + later))), 401),
                Arguments.of("exp a year ahead", bearer(token(b -> b.withExpiresAt(NOW.plus(Duration.ofDays(365))))),
                        401),
                Arguments.of("exp 13 h ahead", bearer(token(b -> b.withExpiresAt(NOW.plus(Duration.ofHours(13))))),
                        401),
                Arguments.of("exp 12 h ahead", bearer(token(b -> b.withExpiresAt(NOW.plus(Duration.ofHours(12))))),
                        200),
                Arguments.of("no sub", bearer(token(b -> b.withSubject(null))), 401),
                Arguments.of("blank sub", bearer(token(b -> b.withSubject(" "))), 401),
                Arguments.of("no role", bearer(token(b -> b.withArrayClaim("roles", new String[] {}))), 403),
                Arguments.of("near role", bearer(token(b -> b.withClaim("roles", "WEB_ACCESSX"))), 403),
                Arguments.of("roles null", bearer(token(b -> b.withNullClaim("roles"))), 403));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tokens")
    void theTokenTable(String name, Map<String, String> headers, int expected) {
        assertEquals(expected, status(auth(POLICY, SECRET), headers));
    }

    @Test
    void audienceAndIssuerAreCheckedWhenTheStackSetsThem() {
        Config.JwtPolicy strict = new Config.JwtPolicy("WEB_ACCESS", "roles", Duration.ofHours(12), "pharma-api",
                "https://idp");
        JwtAuthenticator auth = auth(strict, SECRET);
        assertEquals(200, status(auth, bearer(token(b -> b.withAudience("pharma-api").withIssuer("https://idp")))));
        assertEquals(401, status(auth, bearer(token(b -> b.withAudience("other").withIssuer("https://idp")))));
        assertEquals(401, status(auth, bearer(token(b -> b.withAudience("pharma-api").withIssuer("https://evil")))));
        assertEquals(401, status(auth, bearer(token(b -> b))));
        // not set: not checked
        assertEquals(200, status(auth(POLICY, SECRET), bearer(token(b -> b.withAudience("anything")))));
    }

    @Test
    void aShortSecretIsAConfigurationErrorNotAWeakKey() {
        String shortSecret = "0123456789abcdef0123456789abcde"; // 31 bytes
        Failure f = assertThrows(Failure.class, () -> auth(POLICY, shortSecret).authenticate(bearer(token(b -> b))));
        assertEquals(500, f.status());
        assertEquals("The stack's JWT secret is shorter than 32 bytes: no token is accepted until a longer one is set "
                + "(see the function's log)", f.getMessage());
        assertEquals("JWT secret parameter /app/jwt holds fewer than 32 bytes; set a longer one (for example: openssl "
                + "rand -base64 48)", f.diagnostic(), "the parameter's name only for the log");
    }

    @Test
    void refusalsNeverQuoteTheToken() {
        String t = token(b -> b.withExpiresAt(NOW.plus(Duration.ofDays(30))).withSubject("secret-subject"));
        Failure f = assertThrows(Failure.class, () -> auth(POLICY, SECRET).authenticate(bearer(t)));
        assertEquals(-1, f.getMessage().indexOf("secret-subject"));
    }

    @Test
    void aRotatedSecretTakesEffect() {
        AtomicReference<String> secret = new AtomicReference<>(SECRET);
        JwtAuthenticator auth = new JwtAuthenticator(name -> secret.get(), "/app/jwt", POLICY, CLOCK);
        String old = token(b -> b);
        assertEquals("alice", auth.authenticate(bearer(old)).subject());
        secret.set("rotated-secret-rotated-secret-12345");
        assertEquals(401, status(auth, bearer(old)));
        assertEquals(200,
                status(auth, bearer(JWT.create().withSubject("a").withArrayClaim("roles", new String[] {"WEB_ACCESS"})
                        .withExpiresAt(NOW.plusSeconds(60))
                        .sign(Algorithm.HMAC256("rotated-secret-rotated-secret-12345")))));
    }
}
