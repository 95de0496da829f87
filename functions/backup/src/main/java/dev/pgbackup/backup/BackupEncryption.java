package dev.pgbackup.backup;

import dev.pgbackup.common.config.EncryptionSettings;
import dev.pgbackup.common.storage.ArchiveCipher;
import dev.pgbackup.common.storage.KmsRefusal;
import java.io.InputStream;
import java.util.function.Supplier;

/**
 * What a backup's encryption adds to the stream and to the manifest: SSE-KMS is S3's part (the archive storage
 * asks for it); with client-side encryption the dump is encrypted here, between pg_dump and the upload, under the
 * same key and bound to the app, environment and file name.
 */
public final class BackupEncryption {
    public static final BackupEncryption NONE = new BackupEncryption(EncryptionSettings.NONE, "", "", () -> null);

    private final EncryptionSettings settings;
    private final String app;
    private final String environment;
    private final Supplier<ArchiveCipher> cipher;

    public BackupEncryption(EncryptionSettings settings, String app, String environment,
            Supplier<ArchiveCipher> cipher) {
        this.settings = settings;
        this.app = app;
        this.environment = environment;
        this.cipher = cipher;
    }

    /** The stream to upload: pg_dump's archive itself, or its encryption (whose data key KMS gives on the first read). */
    InputStream wrap(InputStream dump, String filename) {
        if (!settings.clientSide()) {
            return dump;
        }
        return cipher.get().encrypt(dump, settings.kmsKeyId(), ArchiveCipher.context(app, environment, filename),
                KmsRefusal.backupMessage(environment, settings.kmsKeyId()));
    }

    /** The manifest's {@code encryption}: set when the archive in S3 is the workers' encryption of the dump. */
    String manifestEncryption() {
        return settings.clientSide() ? EncryptionSettings.CLIENT_SIDE : null;
    }

    String kmsKeyId() {
        return settings.kmsKeyId();
    }

    /** For the job's details: how the archive is protected. */
    String describe() {
        if (!settings.serverSideKms()) {
            return "bucket default encryption";
        }
        return "SSE-KMS " + settings.kmsKeyId()
                + (settings.clientSide() ? " and client-side " + EncryptionSettings.CLIENT_SIDE : "");
    }
}
