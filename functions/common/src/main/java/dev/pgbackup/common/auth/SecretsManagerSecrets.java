package dev.pgbackup.common.auth;

import dev.pgbackup.common.failure.Failure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;

/**
 * Secrets Manager secrets (the database secret RDS manages and rotates), cached for the same short TTL as the
 * SecureStrings and read lazily, never during init. Failures name the secret only in their diagnostic.
 */
public final class SecretsManagerSecrets implements SecretSource {
    private record Cached(String value, Instant expires) {}

    private final SecretsManagerClient client;
    private final Duration ttl;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public SecretsManagerSecrets(SecretsManagerClient client, Duration ttl, Clock clock) {
        this.client = client;
        this.ttl = ttl;
        this.clock = clock;
    }

    @Override
    public Optional<String> peek(String arn) {
        Cached cached = cache.get(arn);
        return cached != null && clock.instant().isBefore(cached.expires()) ? Optional.of(cached.value())
                : Optional.empty();
    }

    @Override
    public void invalidate(String arn) {
        cache.remove(arn);
    }

    @Override
    public String get(String arn) {
        Optional<String> cached = peek(arn);
        if (cached.isPresent()) {
            return cached.get();
        }
        String value;
        try {
            value = client.getSecretValue(r -> r.secretId(arn)).secretString();
        } catch (ResourceNotFoundException e) {
            throw Failure.server("The database secret does not exist in Secrets Manager (its ARN is in the function's "
                    + "log)", "Secrets Manager secret not found: " + arn);
        } catch (SecretsManagerException e) {
            throw refused(arn, e);
        } catch (SdkException e) {
            // throttled or unreachable: nothing was done, the caller may retry
            throw new Failure(Failure.Kind.UNAVAILABLE, "The database secret could not be read from Secrets Manager; "
                    + "try again later", arn + ": " + e.getClass().getSimpleName());
        }
        if (value == null) {
            throw Failure.server("The database secret holds no text (a binary secret); store the RDS JSON as text",
                    "Secrets Manager secret without SecretString: " + arn);
        }
        cache.put(arn, new Cached(value, clock.instant().plus(ttl)));
        return value;
    }

    /** An answer from Secrets Manager: access or decryption refused, or a service fault. */
    private static Failure refused(String arn, SecretsManagerException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        String diagnostic = arn + ": " + (code == null ? e.getClass().getSimpleName() : code);
        if ("AccessDeniedException".equals(code)) {
            return Failure.server("The database secret could not be read: Secrets Manager denied access (the secret's "
                    + "ARN and the function's role are in its log)", diagnostic);
        }
        if ("DecryptionFailure".equals(code) || "KMSAccessDeniedException".equals(code)) {
            return Failure.server("The database secret could not be decrypted: the function may not use its KMS key "
                    + "(DbSecretKmsKeyArn)", diagnostic);
        }
        if (e.statusCode() >= 500 || e.isThrottlingException()) {
            return new Failure(Failure.Kind.UNAVAILABLE, "The database secret could not be read from Secrets Manager; "
                    + "try again later", diagnostic);
        }
        return Failure.server("The database secret could not be read from Secrets Manager (details in the function's "
                + "log)", diagnostic);
    }
}
