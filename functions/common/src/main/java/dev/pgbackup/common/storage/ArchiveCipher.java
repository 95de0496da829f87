package dev.pgbackup.common.storage;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CryptoInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.cryptography.materialproviders.IKeyring;
import software.amazon.cryptography.materialproviders.MaterialProviders;
import software.amazon.cryptography.materialproviders.model.CollectionOfErrors;
import software.amazon.cryptography.materialproviders.model.CreateAwsKmsDiscoveryKeyringInput;
import software.amazon.cryptography.materialproviders.model.CreateAwsKmsKeyringInput;
import software.amazon.cryptography.materialproviders.model.MaterialProvidersConfig;
import software.amazon.cryptography.materialproviders.model.OpaqueError;

/**
 * Client-side envelope encryption of archive streams with the AWS Encryption SDK: a KMS keyring on the
 * environment's key, the SDK's default algorithm suite (AES-256-GCM, HKDF, key commitment, ECDSA P-384 signature)
 * and commitment policy, and an encryption context naming the app, environment and file, which a restore checks
 * before it passes on a single byte. The output is a standard message: {@code aws-encryption-sdk-cli --decrypt}
 * reads it. Only the workers load this class (the API and list jars do not carry the SDK). Data keys never leave
 * the SDK: nothing here logs or returns them.
 */
public final class ArchiveCipher {
    /** Plaintext bytes per frame: one frame is what a decrypting reader holds back until its tag is checked. */
    static final int FRAME_BYTES = 256 * 1024;

    /** A refused or unreadable encrypted archive; {@link #kms} when a KMS key was the reason. */
    public static final class Refused extends IOException {
        public final boolean kms;

        public Refused(String message, boolean kms, Throwable cause) {
            super(message, cause);
            this.kms = kms;
        }
    }

    private final Supplier<KmsClient> kms;
    private final AwsCrypto crypto = AwsCrypto.builder().withEncryptionFrameSize(FRAME_BYTES).build();
    private final MaterialProviders providers = MaterialProviders.builder()
            .MaterialProvidersConfig(MaterialProvidersConfig.builder().build()).build();

    public ArchiveCipher(Supplier<KmsClient> kms) {
        this.kms = kms;
    }

    /**
     * What every archive message is bound to; a restore requires the same three values for the file it reads (in
     * this order, so that a refusal names the first that differs).
     */
    public static Map<String, String> context(String app, String environment, String filename) {
        Map<String, String> context = new java.util.LinkedHashMap<>();
        context.put("app", app);
        context.put("environment", environment);
        context.put("filename", filename);
        return context;
    }

    /**
     * The ciphertext of {@code plaintext} as a stream (pulled as the upload reads it). The data key is asked of KMS
     * on the first read; a refusal surfaces as a {@link Refused} from read, so the upload is aborted.
     */
    public InputStream encrypt(InputStream plaintext, String keyArn, Map<String, String> context, String kmsRefusal) {
        IKeyring keyring = providers.CreateAwsKmsKeyring(CreateAwsKmsKeyringInput.builder()
                .kmsKeyId(keyArn).kmsClient(kms.get()).build());
        CryptoInputStream<?> encrypting = crypto.createEncryptingStream(keyring, plaintext, context);
        return new Guarded(encrypting, kmsRefusal, "the archive could not be encrypted");
    }

    /**
     * The plaintext of an archive message, once its header was read, its data key decrypted by KMS ({@code keyArn},
     * or any key the message names when null) and its encryption context found to hold {@code expected}: any
     * failure is a {@link Refused} before a byte of plaintext is returned. The signature is checked at the end.
     */
    public InputStream decrypt(InputStream ciphertext, String keyArn, Map<String, String> expected) throws Refused {
        IKeyring keyring = keyArn != null
                ? providers.CreateAwsKmsKeyring(CreateAwsKmsKeyringInput.builder()
                        .kmsKeyId(keyArn).kmsClient(kms.get()).build())
                : providers.CreateAwsKmsDiscoveryKeyring(CreateAwsKmsDiscoveryKeyringInput.builder()
                        .kmsClient(kms.get()).build());
        CryptoInputStream<?> decrypting = crypto.createDecryptingStream(keyring, ciphertext);
        Map<String, String> found;
        try {
            found = decrypting.getCryptoResult().getEncryptionContext();
        } catch (IOException | RuntimeException e) {
            throw refused(e, "its data key could not be decrypted, or it is not an encrypted archive");
        }
        for (Map.Entry<String, String> want : expected.entrySet()) {
            if (!want.getValue().equals(found.get(want.getKey()))) {
                // a message of another environment or file under this name: never restored
                throw new Refused("its encryption context names " + want.getKey() + " '" + found.get(want.getKey())
                        + "', not '" + want.getValue() + "'", false, null);
            }
        }
        return new Guarded(decrypting, "KMS refused the key", "the encrypted archive could not be decrypted");
    }

    private static Refused refused(Throwable e, String otherwise) {
        if (e instanceof Refused r) {
            return r;
        }
        boolean kms = KmsRefusal.in(e) || mentionsKms(e);
        return new Refused(kms ? "KMS refused the key" : otherwise + " (" + e.getClass().getSimpleName() + ")", kms, e);
    }

    /**
     * The material providers report KMS failures in their own types: a collection of the errors of each data key
     * tried, or an opaque wrapper around KMS's exception, with KMS's words in the text.
     */
    private static boolean mentionsKms(Throwable e) {
        for (Throwable x = e; x != null; x = x.getCause()) {
            String m = String.valueOf(x.getMessage());
            if (KmsRefusal.in(x) || m.contains("AccessDenied") || m.contains("NotFoundException")
                    || m.contains("DisabledException") || m.contains("KMSInvalidStateException")) {
                return true;
            }
            if (x instanceof CollectionOfErrors all && all.list().stream().anyMatch(ArchiveCipher::mentionsKms)) {
                return true;
            }
            if (x instanceof OpaqueError opaque && opaque.obj() instanceof Throwable inner && mentionsKms(inner)) {
                return true;
            }
        }
        return false;
    }

    /** Turns the SDK's unchecked failures during reads into {@link Refused}, which streams may throw. */
    private static final class Guarded extends FilterInputStream {
        private final String kmsMessage;
        private final String otherMessage;

        Guarded(InputStream in, String kmsMessage, String otherMessage) {
            super(in);
            this.kmsMessage = kmsMessage;
            this.otherMessage = otherMessage;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (Refused e) {
                throw e;
            } catch (IOException e) {
                if (KmsRefusal.in(e) || mentionsKms(e)) {
                    throw new Refused(kmsMessage, true, e);
                }
                throw e; // the source's own failure (pg_dump's exit, S3's read) stays what it was
            } catch (RuntimeException e) {
                boolean kms = KmsRefusal.in(e) || mentionsKms(e);
                throw new Refused(kms ? kmsMessage : otherMessage + " (" + e.getClass().getSimpleName() + ")", kms, e);
            }
        }
    }
}
