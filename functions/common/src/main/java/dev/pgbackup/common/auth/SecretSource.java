package dev.pgbackup.common.auth;

/** Where secrets come from (SSM SecureStrings in AWS; a map in tests). Values never leave through logs or errors. */
@FunctionalInterface
public interface SecretSource {
    String get(String name);
}
