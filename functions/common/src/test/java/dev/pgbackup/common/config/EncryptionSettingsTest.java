package dev.pgbackup.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EncryptionSettingsTest {
    static final String KEY_ARN = "arn:aws:kms:ap-south-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    private static Config with(String... pairs) {
        Map<String, String> env = ConfigTest.minimal();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return Config.from(env);
    }

    private static String refused(String... pairs) {
        return assertThrows(IllegalStateException.class, () -> with(pairs)).getMessage();
    }

    @Test
    void unsetMeansTheBucketsDefaultEncryptionAsBefore() {
        EncryptionSettings e = with().encryption();
        assertNull(e.kmsKeyId());
        assertFalse(e.serverSideKms());
        assertFalse(e.clientSide());
        assertEquals(EncryptionSettings.NONE,
                with("BACKUP_KMS_KEY_ID", " ", "CLIENT_SIDE_ENCRYPTION", "").encryption());
    }

    @Test
    void everyFormOfKeyKmsAcceptsIsAcceptedForSseKms() {
        for (String key : new String[] {KEY_ARN, "alias/pharmatracker-production-backups",
                "arn:aws:kms:ap-south-1:111122223333:alias/pharmatracker-production-backups",
                "1234abcd-12ab-34cd-56ef-1234567890ab", "mrk-1234abcd12ab34cd56ef1234567890ab",
                "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}) {
            EncryptionSettings e = with("BACKUP_KMS_KEY_ID", key).encryption();
            assertEquals(key, e.kmsKeyId());
            assertTrue(e.serverSideKms());
            assertFalse(e.clientSide());
        }
    }

    @Test
    void somethingThatIsNoKeyIsRefusedByName() {
        for (String bad : new String[] {"my key", "arn:aws:s3:::bucket", "alias/", "arn:aws:kms:ap-south-1:1111:key/x",
                "key/1234"}) {
            String message = refused("BACKUP_KMS_KEY_ID", bad);
            assertTrue(message.startsWith("Environment variable BACKUP_KMS_KEY_ID must be a KMS key ARN, key id, alias "
                    + "ARN or alias/<name>"), message);
            assertTrue(message.endsWith(": " + bad), message);
        }
    }

    @Test
    void clientSideEncryptionNeedsTheKeysArn() {
        EncryptionSettings e = with("BACKUP_KMS_KEY_ID", KEY_ARN, "CLIENT_SIDE_ENCRYPTION", "TRUE").encryption();
        assertTrue(e.clientSide());
        assertTrue(e.serverSideKms());

        assertEquals("Environment variable CLIENT_SIDE_ENCRYPTION=true needs BACKUP_KMS_KEY_ID to be a key ARN "
                + "(arn:aws:kms:<region>:<account>:key/<id>)", refused("CLIENT_SIDE_ENCRYPTION", "true"));
        assertEquals("Environment variable CLIENT_SIDE_ENCRYPTION=true needs BACKUP_KMS_KEY_ID to be a key ARN "
                + "(arn:aws:kms:<region>:<account>:key/<id>): alias/backups",
                refused("CLIENT_SIDE_ENCRYPTION", "true", "BACKUP_KMS_KEY_ID", "alias/backups"));
    }

    @Test
    void theSwitchIsStrict() {
        assertEquals("Environment variable CLIENT_SIDE_ENCRYPTION must be 'true' or 'false': yes",
                refused("CLIENT_SIDE_ENCRYPTION", "yes", "BACKUP_KMS_KEY_ID", KEY_ARN));
        assertFalse(with("CLIENT_SIDE_ENCRYPTION", "false").encryption().clientSide());
    }

    @Test
    void problemsAreReportedWithTheOthers() {
        String message = refused("BACKUP_KMS_KEY_ID", "nope", "RETENTION_COUNT", "0");
        assertTrue(message.contains("BACKUP_KMS_KEY_ID") && message.contains("RETENTION_COUNT"), message);
    }
}
