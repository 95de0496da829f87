package dev.pgbackup.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class JwtAuthenticatorTest {
    static final String SECRET = "unit-test-secret-unit-test-secret";

    static String token(String secret, Object roles) {
        var b = JWT.create().withSubject("alice").withExpiresAt(Instant.now().plusSeconds(600));
        if (roles instanceof String[] array) {
            b.withArrayClaim("roles", array);
        } else if (roles instanceof String s) {
            b.withClaim("roles", s);
        }
        return b.sign(Algorithm.HMAC256(secret));
    }

    @Test
    void acceptsTheRoleAsArrayOrString() {
        JwtAuthenticator auth = new JwtAuthenticator(() -> SECRET, "WEB_ACCESS", "roles");
        assertEquals(200, auth.authenticate(Map.of("Authorization", "Bearer " + token(SECRET, new String[] {"X", "WEB_ACCESS"}))).status());
        assertEquals(200, auth.authenticate(Map.of("authorization", "bearer " + token(SECRET, "X,WEB_ACCESS"))).status());
        assertEquals("alice", auth.authenticate(Map.of("authorization", "Bearer " + token(SECRET, "WEB_ACCESS"))).subject());
        assertEquals(403, auth.authenticate(Map.of("authorization", "Bearer " + token(SECRET, "WEB_ACCESSX"))).status());
        assertEquals(403, auth.authenticate(Map.of("authorization", "Bearer " + token(SECRET, null))).status());
    }

    @Test
    void aRotatedSecretTakesEffect() {
        AtomicReference<String> secret = new AtomicReference<>(SECRET);
        JwtAuthenticator auth = new JwtAuthenticator(secret::get, "WEB_ACCESS", "roles");
        String old = token(SECRET, new String[] {"WEB_ACCESS"});
        assertEquals(200, auth.authenticate(Map.of("authorization", "Bearer " + old)).status());
        secret.set("rotated-secret-rotated-secret-123");
        assertEquals(401, auth.authenticate(Map.of("authorization", "Bearer " + old)).status());
        assertEquals(200, auth.authenticate(Map.of("authorization", "Bearer " + token("rotated-secret-rotated-secret-123", new String[] {"WEB_ACCESS"}))).status());
    }
}
