package dev.pgbackup.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What callers read instead of a tool's stderr (which can quote row values and host names). */
class ToolErrorsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "pg_restore: error: unsupported version (1.16) in file header|the archive was written by a newer pg_dump than this pg_restore can read",
            "pg_dump: error: aborting because of server version mismatch|the database server is newer than the pg_dump that ran",
            "FATAL:  password authentication failed for user \"app\"|the database refused the credentials",
            "The hostname 127.0.0.1 could not be verified by hostnameverifier|the TLS connection to the database failed (certificate, host name or sslmode)",
            "SSL error: PKIX path building failed|the TLS connection to the database failed (certificate, host name or sslmode)",
            "pg_dump: error: connection to server at \"db\" (10.0.0.1), port 5432 failed: Connection refused|the connection to the database failed or was lost",
            "pg_dump: error: Dumping the contents of table \"orders\" failed: server closed the connection unexpectedly|the connection to the database failed or was lost",
            "ERROR:  canceling statement due to lock timeout|a table could not be locked in time (a long transaction or a schema change holds it)",
            "pg_restore: error: could not read input file: end of file|the archive is corrupt, truncated or not a pg_dump archive",
            "pg_restore: error: did not find magic string in file header|the archive is corrupt, truncated or not a pg_dump archive",
            "pg_restore: error: could not execute query: ERROR:  extension \"postgis\" is not available|the target server lacks an extension the archive needs (install it there first; on RDS, check that its engine version offers it)",
            "ERROR:  could not open extension control file \"/usr/share/postgresql/15/extension/x.control\": No such file or directory|the target server lacks an extension the archive needs (install it there first; on RDS, check that its engine version offers it)",
            "pg_dump: error: query failed: ERROR:  query would be affected by row-level security policy for table \"accounts\"|a table's row-level security policy would hide rows from the backup (pg_dump reads with row_security off): give the backup user BYPASSRLS (on RDS, ownership of the table), or leave the table out with BackupExcludeTableData",
            "ERROR:  extension \"postgis\" does not exist|an object the archive needs does not exist on the target (an extension, role or schema)",
            "ERROR:  duplicate key value violates unique constraint \"users_email_key\" DETAIL: Key (email)=(a@b.c) already exists.|the data violates a constraint of the restored schema",
            "something else entirely|pg_restore reported an error"})
    void meanings(String stderr, String meaning) {
        assertEquals(meaning, ToolErrors.meaning("pg_restore", stderr));
    }

    @Test
    void aPrivilegeFailureSaysWhatToGrantWithoutNamingTheObject() {
        String meaning = ToolErrors.meaning("pg_dump", "pg_dump: error: query failed: ERROR:  permission denied for "
                + "table payroll");
        assertTrue(meaning.startsWith("the database user lacks a privilege the tool needs (pg_dump needs SELECT on "
                + "every table and sequence it dumps and USAGE on their schemas"), meaning);
        assertFalse(meaning.contains("payroll"), meaning);
        assertTrue(ToolErrors.meaning("pg_restore", "pg_restore: error: could not execute query: ERROR:  permission "
                + "denied for schema audit").contains("CREATE on the objects' schemas"));
    }

    /** The error line decides, not the names a DETAIL line quotes (a table can be called anything). */
    @Test
    void theErrorLineIsClassifiedBeforeTheNamesItsDetailQuotes() {
        String stderr = """
                pg_dump: error: query failed: ERROR:  permission denied for table secret_t
                pg_dump: detail: Query was: LOCK TABLE public.ssl_certificates, public.connection_refused_log,                 public.secret_t IN ACCESS SHARE MODE
                """;
        assertTrue(ToolErrors.meaning("pg_dump", stderr).startsWith("the database user lacks a privilege"),
                ToolErrors.meaning("pg_dump", stderr));
        // pg_dump's lock wait is a statement timeout around LOCK TABLE: its DETAIL says which
        assertEquals("a table could not be locked in time (a long transaction or a schema change holds it)",
                ToolErrors.meaning("pg_dump", "pg_dump: error: query failed: ERROR:  canceling statement due to "
                        + "statement timeout\npg_dump: detail: Query was: LOCK TABLE public.orders IN ACCESS SHARE MODE"));
        assertEquals("pg_dump reported an error", ToolErrors.meaning("pg_dump", "pg_dump: error: query failed: ERROR:  "
                + "canceling statement due to statement timeout"), "any other statement timeout is not a lock's");
        // without an error line the other problem lines are read
        assertEquals("a table could not be locked in time (a long transaction or a schema change holds it)",
                ToolErrors.meaning("pg_dump", "pg_dump: warning: canceling statement due to lock timeout"));
    }
}
