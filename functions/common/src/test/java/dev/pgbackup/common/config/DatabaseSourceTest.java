package dev.pgbackup.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The database source rules: exactly one of the SSM URL and the secret, what a secret needs beside it, IAM. */
class DatabaseSourceTest {
    static final String ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf";

    static Map<String, String> withSecret() {
        Map<String, String> env = ConfigTest.minimal();
        env.remove("DB_URL_PARAMETER");
        env.put("DB_SECRET_ARN", ARN);
        return env;
    }

    static String problems(Map<String, String> env) {
        return assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage();
    }

    @Test
    void theSsmUrlStaysTheDefaultSource() {
        DatabaseSource source = Config.from(ConfigTest.minimal()).database();
        assertFalse(source.fromSecret());
        assertEquals("/pt/staging/db", source.secretName());
        assertEquals("the SSM parameter in DB_URL_PARAMETER", source.describe());
        assertFalse(source.iamAuth());
    }

    @Test
    void aSecretSourceTakesTheRdsCaAndVerifiesTheServerByDefault() {
        Config config = Config.from(withSecret());
        DatabaseSource source = config.database();
        assertTrue(source.fromSecret());
        assertEquals(ARN, source.secretName());
        assertEquals("", config.dbUrlParameter());
        assertEquals("verify-full", source.sslMode());
        assertEquals("rds-ca.pem", source.sslRootCert());
        assertEquals("the Secrets Manager secret in DB_SECRET_ARN", source.describe());
        assertNull(source.host());
        assertNull(source.port());
        assertNull(source.name());
    }

    @Test
    void neitherSourceIsRefusedNamingBoth() {
        Map<String, String> env = ConfigTest.minimal();
        env.remove("DB_URL_PARAMETER");
        assertTrue(problems(env).contains("Missing required environment variable: DB_URL_PARAMETER (or DB_SECRET_ARN: "
                + "exactly one of them)"), problems(env));
    }

    @Test
    void bothSourcesAreRefused() {
        Map<String, String> env = withSecret();
        env.put("DB_URL_PARAMETER", "/pt/staging/db");
        assertTrue(problems(env).contains("Environment variables DB_URL_PARAMETER and DB_SECRET_ARN are both set: set "
                + "exactly one"), problems(env));
    }

    @Test
    void theSecretMustBeAnArn() {
        Map<String, String> env = withSecret();
        env.put("DB_SECRET_ARN", "prod/db");
        assertTrue(problems(env).contains("Environment variable DB_SECRET_ARN must be a Secrets Manager secret ARN"),
                problems(env));
    }

    @Test
    void whatTheSecretLacksComesFromTheStack() {
        Map<String, String> env = withSecret();
        env.put("DB_HOST", "prod.abc.eu-west-1.rds.amazonaws.com");
        env.put("DB_PORT", "6432");
        env.put("DB_NAME", "pharma");
        env.put("DB_CONNECTION_OPTIONS", "sslmode=disable");
        DatabaseSource source = Config.from(env).database();
        assertEquals("prod.abc.eu-west-1.rds.amazonaws.com", source.host());
        assertEquals(6432, source.port());
        assertEquals("pharma", source.name());
        assertEquals("disable", source.sslMode());
        assertNull(source.sslRootCert());
    }

    @Test
    void badHostPortNameAndOptionsAreRefusedWithTheirNames() {
        Map<String, String> env = withSecret();
        env.put("DB_HOST", "db host;rm");
        env.put("DB_PORT", "70000");
        env.put("DB_NAME", "a/b");
        env.put("DB_CONNECTION_OPTIONS", "sslmode=verify-full&password=x");
        String message = problems(env);
        for (String name : new String[] {"DB_HOST", "DB_PORT must be a port number", "DB_NAME",
                "DB_CONNECTION_OPTIONS must be sslmode="}) {
            assertTrue(message.contains("Environment variable " + name), message);
        }
        env.put("DB_CONNECTION_OPTIONS", "sslmode=sometimes");
        assertTrue(problems(env).contains("Environment variable DB_CONNECTION_OPTIONS"), problems(env));
    }

    @Test
    void iamAuthNeedsTheUserItSignsFor() {
        Map<String, String> env = withSecret();
        env.put("DB_IAM_AUTH", "true");
        assertTrue(problems(env).contains("Missing required environment variable: DB_USER"), problems(env));
        env.put("DB_USER", "backup_user");
        DatabaseSource source = Config.from(env).database();
        assertTrue(source.iamAuth());
        assertEquals("backup_user", source.iamUser());
    }

    @Test
    void iamAuthWithoutTlsIsRefusedAtStartUp() {
        Map<String, String> env = withSecret();
        env.put("DB_IAM_AUTH", "true");
        env.put("DB_USER", "backup_user");
        env.put("DB_CONNECTION_OPTIONS", "sslmode=disable");
        assertTrue(problems(env)
                .contains("Environment variable DB_IAM_AUTH=true needs TLS: DB_CONNECTION_OPTIONS must set "
                        + "sslmode=require, verify-ca or verify-full"),
                problems(env));
        env.put("DB_CONNECTION_OPTIONS", "sslmode=prefer");
        assertTrue(problems(env).contains("DB_IAM_AUTH=true needs TLS"), problems(env));
        env.put("DB_CONNECTION_OPTIONS", "sslmode=require");
        assertEquals("require", Config.from(env).database().sslMode());
    }

    @Test
    void iamAuthIsTrueOrFalse() {
        Map<String, String> env = withSecret();
        env.put("DB_IAM_AUTH", "yes");
        assertTrue(problems(env).contains("Environment variable DB_IAM_AUTH must be 'true' or 'false'"), problems(env));
    }
}
