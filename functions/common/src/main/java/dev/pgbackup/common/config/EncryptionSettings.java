package dev.pgbackup.common.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How this environment's backups are encrypted. {@code kmsKeyId} (BACKUP_KMS_KEY_ID): the environment's own KMS
 * key, used for SSE-KMS (with the S3 Bucket Key) on every archive and manifest it writes, so that the key policy
 * decides which stacks may read them; null = the bucket's default encryption. {@code clientSide}
 * (CLIENT_SIDE_ENCRYPTION): the archive stream is also encrypted by the workers (AWS Encryption SDK, AES-256-GCM
 * under a data key from that KMS key) before it reaches S3.
 */
public record EncryptionSettings(String kmsKeyId, boolean clientSide) {
    /** The value a manifest records for an archive encrypted by the workers. */
    public static final String CLIENT_SIDE = "aws-encryption-sdk";

    private static final String ARN_PREFIX = "arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:";
    private static final Pattern KEY_ARN = Pattern.compile(ARN_PREFIX + "key/(mrk-)?[A-Za-z0-9-]{1,64}");
    private static final Pattern ALIAS_OR_ARN = Pattern.compile("(" + ARN_PREFIX + ")?alias/[A-Za-z0-9/_-]{1,250}");
    private static final Pattern KEY_ID = Pattern.compile("(mrk-)?[A-Za-z0-9-]{32,64}");

    public static final EncryptionSettings NONE = new EncryptionSettings(null, false);

    /** Whether archives and manifests are written with SSE-KMS under this environment's key. */
    public boolean serverSideKms() {
        return kmsKeyId != null;
    }

    /**
     * Reads BACKUP_KMS_KEY_ID and CLIENT_SIDE_ENCRYPTION, adding what is wrong to {@code problems}. Client-side
     * encryption needs the key's ARN: a message records it, and a restore asks that very key to decrypt.
     */
    static EncryptionSettings read(Map<String, String> env, List<String> problems) {
        String key = Variable.BACKUP_KMS_KEY_ID.in(env);
        String side = Variable.CLIENT_SIDE_ENCRYPTION.in(env);
        if (key != null && !(KEY_ARN.matcher(key).matches() || ALIAS_OR_ARN.matcher(key).matches()
                || KEY_ID.matcher(key).matches())) {
            problems.add("Environment variable BACKUP_KMS_KEY_ID must be a KMS key ARN, key id, alias ARN or "
                    + "alias/<name> (or empty for the bucket's default encryption): " + key);
            key = null;
        }
        boolean clientSide = false;
        if (side != null) {
            switch (side.toLowerCase(Locale.ROOT)) {
                case "true" -> clientSide = true;
                case "false" -> clientSide = false;
                default ->
                    problems.add("Environment variable CLIENT_SIDE_ENCRYPTION must be 'true' or 'false': " + side);
            }
        }
        if (clientSide && (key == null || !KEY_ARN.matcher(key).matches())) {
            problems.add("Environment variable CLIENT_SIDE_ENCRYPTION=true needs BACKUP_KMS_KEY_ID to be a key ARN "
                    + "(arn:aws:kms:<region>:<account>:key/<id>)" + (key == null ? "" : ": " + key));
            clientSide = false;
        }
        return new EncryptionSettings(key, clientSide);
    }
}
