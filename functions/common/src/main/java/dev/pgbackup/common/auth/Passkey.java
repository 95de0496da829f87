package dev.pgbackup.common.auth;

import dev.pgbackup.common.Hashes;
import java.security.MessageDigest;

/** The restore passkey: read from its SecureString on use, compared in constant time, never logged. */
public final class Passkey {
    private final SecretSource secrets;
    private final String parameter;

    public Passkey(SecretSource secrets, String parameter) {
        this.secrets = secrets;
        this.parameter = parameter;
    }

    /** Compares SHA-256 digests in constant time: neither the passkey's content nor its length leaks through timing. */
    public boolean matches(String given) {
        return MessageDigest.isEqual(Hashes.sha256(given), Hashes.sha256(secrets.get(parameter)));
    }
}
