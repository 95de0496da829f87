package dev.pgbackup.common.auth;

import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * One {@link SecretSource} for the stack: Secrets Manager ARNs go to Secrets Manager (its client built on first
 * use, so functions that never read one never load it), every other name to SSM Parameter Store.
 */
public final class RoutedSecrets implements SecretSource {
    private static final Pattern SECRET_ARN = Pattern.compile("^arn:[^:]+:secretsmanager:");

    private final SecretSource parameters;
    private final Supplier<SecretSource> secretsManagerFactory;
    private volatile SecretSource secretsManager;

    public RoutedSecrets(SecretSource parameters, Supplier<SecretSource> secretsManager) {
        this.parameters = parameters;
        this.secretsManagerFactory = secretsManager;
    }

    private SecretSource route(String name) {
        if (!SECRET_ARN.matcher(name).find()) {
            return parameters;
        }
        if (secretsManager == null) {
            synchronized (this) {
                if (secretsManager == null) {
                    secretsManager = secretsManagerFactory.get();
                }
            }
        }
        return secretsManager;
    }

    @Override
    public String get(String name) {
        return route(name).get(name);
    }

    /** Never builds the Secrets Manager client: nothing can be cached before it existed. */
    @Override
    public Optional<String> peek(String name) {
        SecretSource source = SECRET_ARN.matcher(name).find() ? secretsManager : parameters;
        return source == null ? Optional.empty() : source.peek(name);
    }

    @Override
    public void invalidate(String name) {
        SecretSource source = SECRET_ARN.matcher(name).find() ? secretsManager : parameters;
        if (source != null) {
            source.invalidate(name);
        }
    }
}
