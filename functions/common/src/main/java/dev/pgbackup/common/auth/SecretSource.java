package dev.pgbackup.common.auth;

/** Where secrets come from (SSM SecureStrings in AWS; a map in tests). Values never leave through logs or errors. */
@FunctionalInterface
public interface SecretSource {
    String get(String name);

    /** The value if it is at hand without a remote call (a cache); empty otherwise. */
    default java.util.Optional<String> peek(String name) {
        return java.util.Optional.empty();
    }

    /** Forgets a cached value, so that the next {@link #get} reads it again (after a rotation). */
    default void invalidate(String name) {}
}
