package dev.pgbackup.testsupport;

import dev.pgbackup.common.AwsClients;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** Database secrets in moto's Secrets Manager, in the JSON shape RDS writes, and their rotation. */
public final class TestSecrets {
    private TestSecrets() {}

    private static SecretsManagerClient client() {
        return new AwsClients(Optional.of(MotoServer.get().endpoint()), true).secretsManager();
    }

    /** Creates a secret with a unique name; returns its ARN (with the random suffix Secrets Manager adds). */
    public static String create(String value) {
        try (SecretsManagerClient sm = client()) {
            return sm.createSecret(b -> b.name("rds!db-" + UUID.randomUUID()).secretString(value)).arn();
        }
    }

    /** A new current value, as a rotation leaves it. */
    public static void rotate(String arn, String value) {
        try (SecretsManagerClient sm = client()) {
            sm.putSecretValue(b -> b.secretId(arn).secretString(value));
        }
    }

    /** An ARN of this account and region that names no secret. */
    public static String missing() {
        return "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-gone-" + UUID.randomUUID().toString()
                .substring(0, 6);
    }

    /** {@code {"engine":"postgres","host",...}} as RDS and the Secrets Manager console write it. */
    public static String rds(String host, int port, String user, String password, String dbname) {
        return "{\"engine\":\"postgres\",\"host\":\"" + host + "\",\"port\":" + port + ",\"username\":\"" + user + "\""
                + (password == null ? "" : ",\"password\":\"" + password + "\"")
                + (dbname == null ? "" : ",\"dbname\":\"" + dbname + "\"") + "}";
    }
}
