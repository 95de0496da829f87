package dev.pgbackup.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pgbackup.common.failure.Failure;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The RDS JSON shape of a database secret, and what the stack adds to an RDS-managed one. */
class RdsSecretTest {
    static final String PASSWORD = "S3cr3t-rotated-by-RDS";

    @Test
    void theConsolesShapeGivesEverything() {
        DbConnection c = RdsSecret
                .parse("{\"engine\":\"postgres\",\"host\":\"prod.abc.rds.amazonaws.com\",\"port\":6432,"
                        + "\"username\":\"app\",\"password\":\"" + PASSWORD
                        + "\",\"dbname\":\"pharma\",\"dbInstanceIdentifier\":"
                        + "\"prod\"}", DatabaseLoginTest.source(Map.of()));
        assertEquals("prod.abc.rds.amazonaws.com", c.host());
        assertEquals(6432, c.port());
        assertEquals("pharma", c.database());
        assertEquals("app", c.user());
        assertEquals(PASSWORD, c.password());
        assertEquals("verify-full", c.sslMode());
        assertEquals("rds-ca.pem", c.sslRootCert());
    }

    @Test
    void anRdsManagedSecretHoldsOnlyTheUserAndPasswordTheStackGivesTheRest() {
        DbConnection c = RdsSecret.parse("{\"username\":\"postgres\",\"password\":\"" + PASSWORD + "\"}",
                DatabaseLoginTest.source(Map.of("DB_HOST", "prod.abc.rds.amazonaws.com", "DB_NAME", "pharma")));
        assertEquals("prod.abc.rds.amazonaws.com", c.host());
        assertEquals(5432, c.port());
        assertEquals("pharma", c.database());
        assertEquals("postgres", c.user());
    }

    @Test
    void theStacksValuesWinOverTheSecrets() {
        DbConnection c = RdsSecret.parse(
                "{\"host\":\"writer\",\"port\":\"5432\",\"username\":\"app\",\"password\":\"p\","
                        + "\"dbname\":\"postgres\"}",
                DatabaseLoginTest.source(Map.of("DB_HOST", "proxy.internal", "DB_PORT", "6432",
                        "DB_NAME", "pharma")));
        assertEquals("proxy.internal", c.host());
        assertEquals(6432, c.port());
        assertEquals("pharma", c.database());
    }

    @Test
    void whatIsMissingIsNamedAndTheSecretNeverQuoted() {
        Failure f = assertThrows(Failure.class, () -> RdsSecret.parse("{\"username\":\"app\",\"password\":\"" + PASSWORD
                + "\"}", DatabaseLoginTest.source(Map.of())));
        assertEquals("The database secret in DB_SECRET_ARN lacks host (or the stack parameter DbHost), dbname (or the "
                + "stack parameter DbName) (expected the RDS shape: {\"host\",\"port\",\"username\",\"password\",\"dbname\"})",
                f.getMessage());
        assertNull(f.diagnostic());
        for (String bad : new String[] {"not json " + PASSWORD, "[\"" + PASSWORD + "\"]",
                "{\"host\":\"h\",\"port\":\"x" + PASSWORD
                        + "\",\"username\":\"u\",\"password\":\"p\",\"dbname\":\"d\"}",
                "{\"host\":\"h\",\"username\":\"u\",\"dbname\":\"d\"}"}) {
            Failure e = assertThrows(Failure.class, () -> RdsSecret.parse(bad, DatabaseLoginTest.source(Map.of())));
            assertFalse(e.getMessage().contains(PASSWORD), e.getMessage());
        }
    }

    @Test
    void aSecretOfAnotherEngineIsRefused() {
        Failure f = assertThrows(Failure.class,
                () -> RdsSecret.parse("{\"engine\":\"mysql\",\"host\":\"h\",\"username\":"
                        + "\"u\",\"password\":\"p\",\"dbname\":\"d\"}", DatabaseLoginTest.source(Map.of())));
        assertEquals("The database secret in DB_SECRET_ARN is for the engine 'mysql', not PostgreSQL (expected the RDS "
                + "shape: {\"host\",\"port\",\"username\",\"password\",\"dbname\"})", f.getMessage());
    }

    @Test
    void withIamAuthThePasswordMayBeAbsent() {
        DbConnection c = RdsSecret.parse("{\"host\":\"h\",\"username\":\"u\",\"dbname\":\"d\"}",
                DatabaseLoginTest.source(Map.of("DB_IAM_AUTH", "true", "DB_USER", "u")));
        assertNull(c.password());
    }
}
