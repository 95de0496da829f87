package dev.pgbackup.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DbConnectionTest {
    @Test
    void parsesAnRdsStyleUrlWithAnEncodedPassword() {
        DbConnection c = DbConnection.parse(
                "postgresql://app_user:p%40ss%3Aw%2Ford@db.example.eu-west-1.rds.amazonaws.com:6432/pharma?sslmode=require");
        assertEquals("db.example.eu-west-1.rds.amazonaws.com", c.host());
        assertEquals(6432, c.port());
        assertEquals("pharma", c.database());
        assertEquals("app_user", c.user());
        assertEquals("p@ss:w/ord", c.password());
        assertEquals("require", c.sslMode());
        Map<String, String> env = c.libpqEnvironment();
        assertEquals("p@ss:w/ord", env.get("PGPASSWORD"));
        assertEquals("require", env.get("PGSSLMODE"));
        assertEquals("pharma", env.get("PGDATABASE"));
    }

    @Test
    void aPlusInAPasswordIsAPlus() {
        assertEquals("a+b c", DbConnection.parse("postgresql://u:a+b%20c@h/db").password());
    }

    @Test
    void defaultsPortAndSslMode() {
        DbConnection c = DbConnection.parse("postgres://u:p@h/db");
        assertEquals(5432, c.port());
        assertEquals("prefer", c.sslMode());
        assertEquals("other", c.withDatabase("other").database());
        assertEquals("p", c.withDatabase("other").password());
    }

    @Test
    void neverShowsThePassword() {
        String secret = "Very-Secret-Pa55";
        DbConnection c = DbConnection.parse("postgresql://u:" + secret + "@h:5432/db");
        assertFalse(c.toString().contains(secret));
        assertFalse(c.toString().contains("postgresql://"));
        for (String bad : new String[] {"mysql://u:" + secret + "@h/db", "postgresql://u:" + secret + "@h:5432/",
                "postgresql://:" + secret + "@/db", "not a url " + secret}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DbConnection.parse(bad));
            assertFalse(e.getMessage().contains(secret), e.getMessage());
        }
    }

    @Test
    void theRootCertificateReachesBothJdbcAndTheTools() {
        DbConnection c = DbConnection
                .parse("postgresql://u:p@db.example.com/app?sslmode=verify-full&sslrootcert=rds-ca.pem")
                .withCertificatesIn(java.nio.file.Path.of("/opt/certs"));
        assertEquals("/opt/certs/rds-ca.pem", c.sslRootCert());
        assertEquals("/opt/certs/rds-ca.pem", c.libpqEnvironment().get("PGSSLROOTCERT"));
        assertEquals("/opt/certs/rds-ca.pem", c.jdbcProperties().getProperty("sslrootcert"));
        assertEquals("verify-full", c.jdbcProperties().getProperty("sslmode"));
        assertFalse(c.unverifiedTls());
        DbConnection absolute = DbConnection.parse("postgresql://u:p@h/app?sslmode=verify-ca&sslrootcert=/etc/ca.pem")
                .withCertificatesIn(java.nio.file.Path.of("/opt/certs"));
        assertEquals("/etc/ca.pem", absolute.sslRootCert());
        assertEquals("/etc/ca.pem", absolute.withDatabase("postgres").sslRootCert());
        org.junit.jupiter.api.Assertions
                .assertTrue(DbConnection.parse("postgresql://u:p@h/app?sslmode=require").unverifiedTls());
        org.junit.jupiter.api.Assertions
                .assertNull(DbConnection.parse("postgresql://u:p@h/app").libpqEnvironment().get("PGSSLROOTCERT"));
    }

    @Test
    void anUnknownSslModeIsRefusedWithoutEchoingTheUrl() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DbConnection.parse("postgresql://u:Secret-Pw@h/app?sslmode=verify"));
        assertFalse(e.getMessage().contains("Secret-Pw"));
    }
}
