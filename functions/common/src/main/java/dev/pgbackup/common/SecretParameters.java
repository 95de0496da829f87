package dev.pgbackup.common;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;

/**
 * SecureString parameters, decrypted, cached for a short TTL. Read lazily (never during init) so that
 * a SnapStart snapshot holds no secret and a rotated passkey takes effect within the TTL.
 */
public class SecretParameters {
    private record Cached(String value, Instant expires) {
    }

    private final SsmClient ssm;
    private final Duration ttl;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public SecretParameters(SsmClient ssm, Duration ttl) {
        this(ssm, ttl, Clock.systemUTC());
    }

    public SecretParameters(SsmClient ssm, Duration ttl, Clock clock) {
        this.ssm = ssm;
        this.ttl = ttl;
        this.clock = clock;
    }

    public String get(String name) {
        Instant now = clock.instant();
        Cached cached = cache.get(name);
        if (cached != null && now.isBefore(cached.expires())) {
            return cached.value();
        }
        String value;
        try {
            value = ssm.getParameter(r -> r.name(name).withDecryption(true)).parameter().value();
        } catch (ParameterNotFoundException e) {
            // the name is configuration, not a secret: naming it tells the operator what to create
            throw new IllegalStateException("SSM parameter not found: " + name);
        }
        cache.put(name, new Cached(value, now.plus(ttl)));
        return value;
    }
}
