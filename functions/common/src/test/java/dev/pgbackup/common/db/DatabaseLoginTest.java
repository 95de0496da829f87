package dev.pgbackup.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.auth.SecretSource;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.config.DatabaseSource;
import dev.pgbackup.common.failure.Failure;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/** One re-read per job when the database refuses the credentials; IAM tokens as passwords; RDS secrets parsed. */
class DatabaseLoginTest {
    static final String ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod-db-AbCdEf";
    static final Path CERTS = Path.of("/opt/certs");

    /** A cached secret store as the stack has one: get reads the "remote" value once, until invalidated. */
    static final class Store implements SecretSource {
        final Map<String, String> remote = new HashMap<>();
        final Map<String, String> cache = new HashMap<>();
        int reads;

        @Override
        public String get(String name) {
            return cache.computeIfAbsent(name, n -> {
                reads++;
                return remote.get(n);
            });
        }

        @Override
        public Optional<String> peek(String name) {
            return Optional.ofNullable(cache.get(name));
        }

        @Override
        public void invalidate(String name) {
            cache.remove(name);
        }
    }

    static DatabaseSource source(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("APP_NAME", "pt", "ENVIRONMENT", "staging", "BUCKET_NAME", "b",
                "DB_SECRET_ARN", ARN, "JWT_SECRET_PARAMETER", "/j", "RESTORE_PASSKEY_PARAMETER", "/p"));
        env.putAll(extra);
        return Config.from(env).database();
    }

    static String secret(String password) {
        return "{\"engine\":\"postgres\",\"host\":\"db.internal\",\"port\":5432,\"username\":\"app\",\"password\":\""
                + password + "\",\"dbname\":\"pharma\"}";
    }

    static SQLException refused() {
        return new SQLException("FATAL: password authentication failed for user \"app\"", "28P01");
    }

    @Test
    void aRefusedConnectionReadsTheSecretAgainOnceAndRunsAgain() throws SQLException {
        Store store = new Store();
        store.remote.put(ARN, secret("old-pass"));
        DatabaseLogin login = new DatabaseLogins(source(Map.of()), store, CERTS, null).login();
        assertEquals("old-pass", login.connection().password());
        store.remote.put(ARN, secret("new-pass")); // rotated: the cache still holds the old one
        List<String> tried = new ArrayList<>();
        String result = login.attempt(db -> {
            tried.add(db.password());
            if (db.password().equals("old-pass")) {
                throw refused();
            }
            return "connected";
        });
        assertEquals("connected", result);
        assertEquals(List.of("old-pass", "new-pass"), tried);
        assertEquals(2, store.reads);
        assertEquals(1, login.rereads());
        assertEquals(List.of("old-pass", "new-pass"), login.secrets());
        // the next step of the job uses the fresh password without another read
        assertEquals("new-pass", login.connection().password());
        assertEquals(2, store.reads);
    }

    @Test
    void aSecondRefusalNamesTheSourceAndNoPassword() {
        Store store = new Store();
        store.remote.put(ARN, secret("wrong-pass-1"));
        DatabaseLogin login = new DatabaseLogins(source(Map.of()), store, CERTS, null).login();
        DatabaseLogin.Refused refused = assertThrows(DatabaseLogin.Refused.class, () -> login.attempt(db -> {
            throw new SQLException(
                    "FATAL: password authentication failed for user \"app\" (tried " + db.password() + ")",
                    "28P01");
        }));
        assertEquals("The database refused the credentials from the Secrets Manager secret in DB_SECRET_ARN (re-read "
                + "once after a possible rotation)", refused.getMessage());
        assertEquals("the database refused the credentials from the Secrets Manager secret in DB_SECRET_ARN (re-read "
                + "once after a possible rotation)", refused.clause());
        assertFalse(refused.diagnostic().contains("wrong-pass-1"), refused.diagnostic());
        assertTrue(refused.diagnostic().contains("password authentication failed"), refused.diagnostic());
        assertEquals(2, store.reads);
        // once per job: a later refusal in the same job fails at once
        assertThrows(DatabaseLogin.Refused.class, () -> login.attempt(db -> {
            throw refused();
        }));
        assertEquals(2, store.reads);
    }

    @Test
    void aToolRefusedInItsStderrIsRetriedToo() {
        Store store = new Store();
        store.remote.put(ARN, secret("old-pass"));
        DatabaseLogin login = new DatabaseLogins(source(Map.of()), store, CERTS, null).login();
        login.connection();
        store.remote.put(ARN, secret("new-pass"));
        String result = login.attemptTool(db -> {
            if (db.password().equals("old-pass")) {
                throw Failure.server("Backup failed: pg_dump exited with code 1: the database refused the credentials",
                        "pg_dump: error: connection to server at \"db.internal\", port 5432 failed: FATAL:  password "
                                + "authentication failed for user \"app\"");
            }
            return "dumped";
        });
        assertEquals("dumped", result);
        assertEquals(1, login.rereads());
    }

    @Test
    void otherFailuresPassThroughWithoutAReread() {
        Store store = new Store();
        store.remote.put(ARN, secret("pass"));
        DatabaseLogin login = new DatabaseLogins(source(Map.of()), store, CERTS, null).login();
        SQLException network = new SQLException("Connection refused", "08001");
        assertSame(network, assertThrows(SQLException.class, () -> login.attempt(db -> {
            throw network;
        })));
        Failure tool = Failure.server("pg_dump failed", "pg_dump: error: permission denied for table x");
        assertSame(tool, assertThrows(Failure.class, () -> login.attemptTool(db -> {
            throw tool;
        })));
        assertEquals(0, login.rereads());
        assertEquals(1, store.reads);
    }

    @Test
    void theSsmUrlIsReadAgainTheSameWay() throws SQLException {
        Store store = new Store();
        Map<String, String> env = new HashMap<>(Map.of("APP_NAME", "pt", "ENVIRONMENT", "staging", "BUCKET_NAME", "b",
                "DB_URL_PARAMETER", "/pt/db", "JWT_SECRET_PARAMETER", "/j", "RESTORE_PASSKEY_PARAMETER", "/p"));
        store.remote.put("/pt/db", "postgresql://app:old@db.internal:5432/pharma?sslmode=require");
        DatabaseLogin login = new DatabaseLogins(Config.from(env).database(), store, CERTS, null).login();
        login.connection();
        store.remote.put("/pt/db", "postgresql://app:new@db.internal:5432/pharma?sslmode=require");
        assertEquals("new", login.attempt(db -> {
            if (db.password().equals("old")) {
                throw refused();
            }
            return db.password();
        }));
        DatabaseLogin.Refused refused = assertThrows(DatabaseLogin.Refused.class, () -> login.attempt(db -> {
            throw refused();
        }));
        assertTrue(refused.getMessage().contains("from the SSM parameter in DB_URL_PARAMETER"), refused.getMessage());
    }

    @Test
    void withIamAuthEveryConnectionGetsAFreshTokenForTheConfiguredUser() {
        Store store = new Store();
        store.remote.put(ARN, "{\"username\":\"master\",\"password\":\"unused\"}");
        DatabaseSource source = source(Map.of("DB_IAM_AUTH", "true", "DB_USER", "backup_user", "DB_HOST",
                "prod.abc.eu-west-1.rds.amazonaws.com", "DB_NAME", "pharma"));
        Instant[] now = {Instant.parse("2026-11-28T10:00:00Z")};
        Clock clock = new Clock() {
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            public Instant instant() {
                return now[0];
            }
        };
        IamAuthTokens tokens = new IamAuthTokens(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKID",
                "SECRET")), Region.EU_WEST_1, clock);
        DatabaseLogin login = new DatabaseLogins(source, store, CERTS, () -> tokens).login();
        DbConnection first = login.connection();
        now[0] = now[0].plusSeconds(60);
        DbConnection second = login.connection();
        assertEquals("backup_user", first.user());
        assertTrue(first.password().startsWith("prod.abc.eu-west-1.rds.amazonaws.com:5432/?"), first.password());
        assertTrue(first.password().contains("DBUser=backup_user"), first.password());
        assertTrue(first.password().contains("X-Amz-Date=20261128T100000Z"), first.password());
        assertTrue(second.password().contains("X-Amz-Date=20261128T100100Z"), second.password());
        assertEquals("verify-full", first.sslMode());
        assertEquals("/opt/certs/rds-ca.pem", first.sslRootCert());
        assertEquals(first.password(), first.libpqEnvironment().get("PGPASSWORD"));
        assertEquals(List.of(first.password(), second.password()), login.secrets());
        assertEquals(1, store.reads);
    }

    @Test
    void iamAuthRefusesAUrlWithoutTlsWhenItIsRead() {
        Store store = new Store();
        Map<String, String> env = new HashMap<>(Map.of("APP_NAME", "pt", "ENVIRONMENT", "staging", "BUCKET_NAME", "b",
                "DB_URL_PARAMETER", "/pt/db", "JWT_SECRET_PARAMETER", "/j", "RESTORE_PASSKEY_PARAMETER", "/p",
                "DB_IAM_AUTH", "true", "DB_USER", "backup_user"));
        store.remote.put("/pt/db", "postgresql://backup_user@db.internal:5432/pharma?sslmode=disable");
        DatabaseLogin login = new DatabaseLogins(Config.from(env).database(), store, CERTS, () -> {
            throw new AssertionError("no token without TLS");
        }).login();
        Failure refused = assertThrows(Failure.class, login::connection);
        assertEquals("DB_IAM_AUTH=true needs TLS: the database URL in DB_URL_PARAMETER must set sslmode=require, "
                + "verify-ca or verify-full (RDS accepts IAM tokens only over TLS)", refused.getMessage());
    }
}
