package dev.pgbackup.common.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Secrets Manager ARNs go to Secrets Manager, built only when one is read; every other name to SSM. */
class RoutedSecretsTest {
    static final String ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod-db-AbCdEf";

    @Test
    void arnsGoToSecretsManagerAndNamesToSsm() {
        AtomicInteger built = new AtomicInteger();
        SecretSource ssm = Map.of("/pt/jwt", "jwt-secret")::get;
        RoutedSecrets secrets = new RoutedSecrets(ssm, () -> {
            built.incrementAndGet();
            return Map.of(ARN, "{\"username\":\"u\"}")::get;
        });
        assertEquals("jwt-secret", secrets.get("/pt/jwt"));
        // peeking at or forgetting a secret nobody read builds no client (the API functions never load it)
        assertEquals(Optional.empty(), secrets.peek(ARN));
        secrets.invalidate(ARN);
        assertEquals(0, built.get());
        assertEquals("{\"username\":\"u\"}", secrets.get(ARN));
        assertEquals("{\"username\":\"u\"}", secrets.get(ARN));
        assertEquals(1, built.get());
    }
}
