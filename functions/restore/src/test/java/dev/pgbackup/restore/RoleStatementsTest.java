package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * pg_dumpall --globals-only --no-role-passwords output as pg_dumpall 15, 16 and 18 wrote it (of servers holding the
 * roles below), and the lines the parser must refuse.
 */
class RoleStatementsTest {
    /** pg_dumpall 15.18 of a PostgreSQL 15 server (blank lines squeezed). */
    static final String PG15 = """
            --
            -- PostgreSQL database cluster dump
            --

            \\restrict 496vqkUoU2sx0zI2eqedLPCuC7wSM58BDQnbCenpVUEot8eBhB6fEZUh8fWYveu

            SET default_transaction_read_only = off;

            SET client_encoding = 'UTF8';
            SET standard_conforming_strings = on;

            --
            -- Roles
            --

            CREATE ROLE "Weird ""Name""\";
            ALTER ROLE "Weird ""Name""\" WITH NOSUPERUSER INHERIT NOCREATEROLE CREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            CREATE ROLE app_group;
            ALTER ROLE app_group WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            CREATE ROLE app_owner;
            ALTER ROLE app_owner WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            COMMENT ON ROLE app_owner IS 'owns app';
            CREATE ROLE app_reader;
            ALTER ROLE app_reader WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 VALID UNTIL '2030-01-01 00:00:00+00';
            CREATE ROLE postgres;
            ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;
            CREATE ROLE rep;
            ALTER ROLE rep WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN REPLICATION BYPASSRLS;

            --
            -- User Configurations
            --

            --
            -- User Config "app_reader"
            --

            ALTER ROLE app_reader SET search_path TO 'app', 'public';

            --
            -- Role memberships
            --

            GRANT app_group TO app_reader GRANTED BY postgres;
            GRANT app_owner TO app_reader WITH ADMIN OPTION GRANTED BY postgres;

            \\unrestrict 496vqkUoU2sx0zI2eqedLPCuC7wSM58BDQnbCenpVUEot8eBhB6fEZUh8fWYveu

            --
            -- PostgreSQL database cluster dump complete
            --

            """;

    /** pg_dumpall 16.15 of a PostgreSQL 16 server (blank lines squeezed). */
    static final String PG16 = """
            --
            -- PostgreSQL database cluster dump
            --

            \\restrict JRPb4EtpeviTWURHztd9WVDFBKKTrTn8XnOtBeEjcCYZGbUu3XiWoHgLaEPMy11

            SET default_transaction_read_only = off;

            SET client_encoding = 'UTF8';
            SET standard_conforming_strings = on;

            --
            -- Roles
            --

            CREATE ROLE app_group;
            ALTER ROLE app_group WITH NOSUPERUSER NOINHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            CREATE ROLE app_owner;
            ALTER ROLE app_owner WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            COMMENT ON ROLE app_owner IS 'owns
            app';
            CREATE ROLE app_reader;
            ALTER ROLE app_reader WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 VALID UNTIL '2030-01-01 00:00:00+00';
            CREATE ROLE postgres;
            ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;
            CREATE ROLE rep;
            ALTER ROLE rep WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN REPLICATION BYPASSRLS;

            --
            -- User Configurations
            --

            --
            -- Role memberships
            --

            GRANT app_group TO app_reader WITH INHERIT FALSE GRANTED BY postgres;
            GRANT app_owner TO app_reader WITH ADMIN OPTION, INHERIT TRUE GRANTED BY postgres;

            --
            -- Role privileges on configuration parameters
            --

            GRANT SET ON PARAMETER work_mem TO app_reader;

            --
            -- Tablespaces
            --

            CREATE TABLESPACE ts OWNER postgres LOCATION '/tmp/i23pg16';

            \\unrestrict JRPb4EtpeviTWURHztd9WVDFBKKTrTn8XnOtBeEjcCYZGbUu3XiWoHgLaEPMy11

            --
            -- PostgreSQL database cluster dump complete
            --

            """;

    static RoleStatements.Role role(RoleStatements.Parsed p, String name) {
        return p.roles().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void pgDumpall15() throws Exception {
        RoleStatements.Parsed p = RoleStatements.parse(PG15);

        assertEquals(List.of("Weird \"Name\"", "app_group", "app_owner", "app_reader", "postgres", "rep"),
                p.roles().stream().map(RoleStatements.Role::name).toList());
        RoleStatements.Attributes reader = role(p, "app_reader").attributes();
        assertTrue(reader.has("LOGIN"));
        assertFalse(reader.has("SUPERUSER"));
        assertEquals(Boolean.FALSE, reader.flags().get("SUPERUSER"));
        assertEquals(5, reader.connectionLimit());
        assertEquals("2030-01-01 00:00:00+00", reader.validUntil());
        assertTrue(role(p, "Weird \"Name\"").attributes().has("CREATEDB"));
        assertTrue(role(p, "rep").attributes().has("REPLICATION"));
        assertTrue(role(p, "rep").attributes().has("BYPASSRLS"));
        assertEquals(List.of(new RoleStatements.Membership("app_group", "app_reader", false, null, null),
                new RoleStatements.Membership("app_owner", "app_reader", true, null, null)), p.memberships());
        assertEquals(Map.of("role settings", 1, "role comments", 1), p.skipped());
    }

    @Test
    void pgDumpall16WithMembershipOptionsAMultiLineCommentATablespaceAndAParameterGrant() throws Exception {
        RoleStatements.Parsed p = RoleStatements.parse(PG16);

        assertEquals(List.of("app_group", "app_owner", "app_reader", "postgres", "rep"),
                p.roles().stream().map(RoleStatements.Role::name).toList());
        assertEquals(Boolean.FALSE, role(p, "app_group").attributes().flags().get("INHERIT"));
        assertEquals(List.of(new RoleStatements.Membership("app_group", "app_reader", false, false, null),
                new RoleStatements.Membership("app_owner", "app_reader", true, true, null)), p.memberships());
        assertEquals(Map.of("role comments", 1, "tablespaces", 1, "parameter privileges", 1), p.skipped());
    }

    /** pg_dumpall 18.6 of a PostgreSQL 18 server (blank lines squeezed). */
    static final String PG18 = """
            --
            -- PostgreSQL database cluster dump
            --

            \\restrict WTipn9qiHcfTz4nk9ko2n0hFn5SF8TQQH1EXYqCT06rqKcrvI8maAA4ALkR4Sdi

            SET default_transaction_read_only = off;

            SET client_encoding = 'UTF8';
            SET standard_conforming_strings = on;

            --
            -- Roles
            --

            CREATE ROLE app_group;
            ALTER ROLE app_group WITH NOSUPERUSER NOINHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            CREATE ROLE app_owner;
            ALTER ROLE app_owner WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            CREATE ROLE app_reader;
            ALTER ROLE app_reader WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 VALID UNTIL '2030-01-01 00:00:00+00';
            CREATE ROLE postgres;
            ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;

            --
            -- User Configurations
            --

            --
            -- User Config "app_reader"
            --

            ALTER ROLE app_reader SET work_mem TO '8MB';

            --
            -- Role memberships
            --

            GRANT app_group TO app_reader WITH INHERIT FALSE, SET FALSE GRANTED BY postgres;
            GRANT app_owner TO app_reader WITH ADMIN OPTION, INHERIT TRUE GRANTED BY postgres;

            \\unrestrict WTipn9qiHcfTz4nk9ko2n0hFn5SF8TQQH1EXYqCT06rqKcrvI8maAA4ALkR4Sdi

            --
            -- PostgreSQL database cluster dump complete
            --

            """;

    @Test
    void pgDumpall18() throws Exception {
        RoleStatements.Parsed p = RoleStatements.parse(PG18);

        assertEquals(List.of("app_group", "app_owner", "app_reader", "postgres"),
                p.roles().stream().map(RoleStatements.Role::name).toList());
        assertEquals(List.of(new RoleStatements.Membership("app_group", "app_reader", false, false, false),
                new RoleStatements.Membership("app_owner", "app_reader", true, true, null)), p.memberships());
        assertEquals(Map.of("role settings", 1), p.skipped());
    }

    @Test
    void membershipOptionsOfEveryForm() throws Exception {
        RoleStatements.Parsed p = RoleStatements.parse("""
                GRANT a TO b WITH ADMIN OPTION, INHERIT FALSE, SET FALSE GRANTED BY postgres;
                GRANT "x y" TO b;
                GRANT a TO "B" WITH SET FALSE;
                """);

        assertEquals(List.of(new RoleStatements.Membership("a", "b", true, false, false),
                new RoleStatements.Membership("x y", "b", false, null, null),
                new RoleStatements.Membership("a", "B", false, null, false)), p.memberships());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "DROP ROLE app_owner;",
            "CREATE ROLE app_owner; DROP ROLE postgres;",
            "ALTER ROLE app_owner WITH SUPERUSER PASSWORD 'md5abc';",
            "ALTER ROLE app_owner WITH LOGIN; DROP TABLE x;",
            "CREATE ROLE App_Owner;",
            "GRANT app_owner TO x; SELECT 1;",
            "GRANT ALL ON DATABASE x TO app_owner;",
            "SELECT pg_terminate_backend(1);",
            "\\! rm -rf /",
            "ALTER ROLE app_owner WITH LOGIN"
    })
    void anyOtherLineRefusesTheFileNamingTheLine(String line) {
        RoleStatements.Unrecognised e = assertThrows(RoleStatements.Unrecognised.class,
                () -> RoleStatements.parse("--\n-- Roles\n--\n\nCREATE ROLE ok;\n" + line + "\n"));

        assertTrue(e.getMessage().startsWith("line 6 is not a statement pg_dumpall --globals-only writes: "),
                e.getMessage());
    }

    @Test
    void aQuotedLiteralMaySpanLinesButNotHideAStatement() throws Exception {
        RoleStatements.Parsed p = RoleStatements.parse("COMMENT ON ROLE a IS 'one\ntwo''s; DROP ROLE b;\nthree';\n"
                + "CREATE ROLE c;\n");
        assertEquals(List.of("c"), p.roles().stream().map(RoleStatements.Role::name).toList());
        assertEquals(Map.of("role comments", 1), p.skipped());

        assertThrows(RoleStatements.Unrecognised.class,
                () -> RoleStatements.parse("COMMENT ON ROLE a IS 'x'; DROP ROLE b; SELECT '\n';\n"));
    }
}
