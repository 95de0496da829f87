package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which roles a restore creates, with what, and when ownership is refused: decided from the parse alone. */
class RolePlanTest {
    private static final String GLOBALS = """
            CREATE ROLE app_owner;
            ALTER ROLE app_owner WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            CREATE ROLE app_reader;
            ALTER ROLE app_reader WITH NOSUPERUSER NOINHERIT NOCREATEROLE CREATEDB LOGIN NOREPLICATION BYPASSRLS CONNECTION LIMIT 3 VALID UNTIL '2030-01-01 00:00:00+00';
            CREATE ROLE postgres;
            ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;
            CREATE ROLE rds_superuser;
            CREATE ROLE "It's";
            GRANT app_owner TO app_reader WITH ADMIN OPTION, INHERIT TRUE GRANTED BY postgres;
            GRANT app_owner TO postgres GRANTED BY postgres;
            GRANT rds_superuser TO postgres GRANTED BY postgres;
            """;

    static RolePlan.Target target(boolean superuser, int major, String... roles) {
        return new RolePlan.Target(Set.of(roles), Set.of(), superuser, true, false, major);
    }

    @Test
    void aNonSuperuserCreatesTheMissingRolesWithWhatItMayGiveAndTheirMembershipsNeverAnExistingOne() throws Exception {
        RoleStatements.Parsed parsed = RoleStatements.parse(GLOBALS);

        RolePlan.Steps steps = RolePlan.plan(parsed, List.of("app_owner", "app_reader"),
                target(false, 16, "postgres"), new RoleOptions(true, false));

        assertEquals(List.of("app_owner", "app_reader", "It's"), steps.created());
        assertEquals(List.of(
                "CREATE ROLE \"app_owner\" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS",
                "CREATE ROLE \"app_reader\" WITH NOSUPERUSER NOINHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION "
                        + "NOBYPASSRLS CONNECTION LIMIT 3 VALID UNTIL '2030-01-01 00:00:00+00'",
                "CREATE ROLE \"It's\" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS",
                "GRANT \"app_owner\" TO \"app_reader\" WITH ADMIN TRUE, INHERIT TRUE",
                "GRANT \"app_owner\" TO \"postgres\" WITH ADMIN FALSE"), steps.statements());
        assertEquals(List.of("BYPASSRLS of app_reader", "CREATEDB of app_reader"), steps.leftOut());
        assertEquals(List.of(), steps.missing());
    }

    @Test
    void aSuperuserGivesEveryAttributeAndPostgres15GetsTheOldGrant() throws Exception {
        RolePlan.Steps steps = RolePlan.plan(RoleStatements.parse(GLOBALS), null,
                target(true, 15, "postgres", "app_owner", "It's"), new RoleOptions(true, true));

        assertEquals(List.of("CREATE ROLE \"app_reader\" WITH NOSUPERUSER NOINHERIT NOCREATEROLE CREATEDB LOGIN "
                + "NOREPLICATION BYPASSRLS CONNECTION LIMIT 3 VALID UNTIL '2030-01-01 00:00:00+00'",
                "GRANT \"app_owner\" TO \"app_reader\" WITH ADMIN OPTION"), steps.statements());
        assertEquals(List.of(), steps.leftOut());
        // rds_superuser is never created: with every role needed (none recorded), ownership would miss it
        assertEquals(List.of("rds_superuser"), steps.missing());
    }

    @Test
    void ownershipAloneCreatesNothingAndNamesWhatIsMissing() throws Exception {
        RolePlan.Steps steps = RolePlan.plan(RoleStatements.parse(GLOBALS), List.of("app_owner", "app_reader"),
                target(true, 16, "postgres", "app_reader"), new RoleOptions(false, true));

        assertEquals(List.of(), steps.statements());
        assertEquals(List.of("app_owner"), steps.missing());
    }
}
