package dev.pgbackup.common.auth;

import dev.pgbackup.common.failure.Failure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;

/**
 * SecureString parameters, decrypted, cached for a short TTL. Read lazily (never during init) so that a
 * SnapStart snapshot holds no secret and a rotated passkey takes effect within the TTL.
 */
public final class SsmSecrets implements SecretSource {
    private record Cached(String value, Instant expires) {}

    private final SsmClient ssm;
    private final Duration ttl;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public SsmSecrets(SsmClient ssm, Duration ttl, Clock clock) {
        this.ssm = ssm;
        this.ttl = ttl;
        this.clock = clock;
    }

    /** The cached value, if one was read and has not expired: never a call to SSM. */
    @Override
    public java.util.Optional<String> peek(String name) {
        Cached cached = cache.get(name);
        return cached != null && clock.instant().isBefore(cached.expires())
                ? java.util.Optional.of(cached.value()) : java.util.Optional.empty();
    }

    @Override
    public void invalidate(String name) {
        cache.remove(name);
    }

    @Override
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
            // the name tells the operator what to create: in the log, not in an answer to any caller
            throw Failure.server("A configuration parameter is missing from SSM (its name is in the function's log)",
                    "SSM parameter not found: " + name);
        } catch (SdkException e) {
            // throttled, unreachable, not allowed: nothing was done, the caller may retry
            throw new Failure(Failure.Kind.UNAVAILABLE, "A configuration parameter could not be read from SSM; try "
                    + "again later", name + ": " + e.getClass().getSimpleName());
        }
        cache.put(name, new Cached(value, now.plus(ttl)));
        return value;
    }
}
