package dev.pgbackup.local;

import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * What an operator puts in place before the stack's functions run, done in the emulator: the bucket and the
 * SecureStrings (and the sanitising script when one is given). Apart from {@link LocalRun} because it is the only
 * part that handles the secrets, and it keeps them out of what the run prints.
 */
final class AwsSeeding {
    /** The JWT secret the run signs its development token with, and where each secret came from (never the value). */
    record Seeded(String jwtSecret, String jwtSecretNote, String passkeyNote) {}

    private final LocalEnvironment env;
    private final Config config;

    AwsSeeding(LocalEnvironment env, Config config) {
        this.env = env;
        this.config = config;
    }

    /**
     * The bucket and the three SecureStrings. The DB URL always names the database this run serves; the
     * JWT secret and passkey come from JWT_SECRET / RESTORE_PASSKEY when set, else an existing parameter
     * (a shared emulator) is kept, else the printed defaults are written.
     */
    Seeded seed(AwsClients clients, String databaseUrl) {
        try (S3Client s3 = clients.s3(); SsmClient ssm = clients.ssm()) {
            createBucket(s3);
            put(ssm, config.dbUrlParameter(), databaseUrl);
            String scriptFile = env.get("SANITIZE_SCRIPT_FILE", null);
            if (scriptFile != null) {
                try {
                    String script = Files.readString(Path.of(scriptFile));
                    ssm.putParameter(b -> b.name(config.refresh().sanitizeParameter()).value(script)
                            .type(ParameterType.STRING).overwrite(true));
                } catch (IOException e) {
                    throw new IllegalStateException("SANITIZE_SCRIPT_FILE cannot be read: " + scriptFile);
                }
            }
            String[] jwt = secret(ssm, config.jwtSecretParameter(), "JWT_SECRET",
                    LocalRun.defaultJwtSecret(config.environment()));
            String[] passkey = secret(ssm, config.restorePasskeyParameter(), "RESTORE_PASSKEY",
                    LocalRun.DEFAULT_PASSKEY);
            return new Seeded(jwt[0], jwt[1], passkey[1]);
        }
    }

    /** The bucket is kept when it exists: another environment of a shared emulator may have made it already. */
    private void createBucket(S3Client s3) {
        try {
            s3.headBucket(b -> b.bucket(config.bucket()));
        } catch (NoSuchBucketException e) {
            s3.createBucket(b -> b.bucket(config.bucket()));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw e;
            }
            s3.createBucket(b -> b.bucket(config.bucket()));
        }
    }

    private String[] secret(SsmClient ssm, String parameter, String variable, String fallback) {
        String given = env.get(variable, null);
        if (given != null) {
            put(ssm, parameter, given);
            return new String[] {given, "from " + variable + " (not shown)"};
        }
        try {
            String existing = ssm.getParameter(b -> b.name(parameter).withDecryption(true)).parameter().value();
            return new String[] {existing, "kept the existing value of " + parameter + " (not shown)"};
        } catch (ParameterNotFoundException e) {
            put(ssm, parameter, fallback);
            return new String[] {fallback, "default '" + fallback + "' (set " + variable + " to change)"};
        }
    }

    private static void put(SsmClient ssm, String name, String value) {
        ssm.putParameter(b -> b.name(name).value(value).type(ParameterType.SECURE_STRING).overwrite(true));
    }
}
