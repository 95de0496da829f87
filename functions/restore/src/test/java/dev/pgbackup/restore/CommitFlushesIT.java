package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.testsupport.TestPostgres;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The new database is filled with commits that do not wait for their WAL flush, and handed over without that
 * setting. The sanitising script, a session in the database being built, records the setting its sessions had and
 * where it came from (the embedded server's own default is off too, from its command line); the restored database
 * must carry only what the target had set on itself, whether or not it had anything.
 */
class CommitFlushesIT {
    /** Run by the sanitising script inside the database being filled. */
    static final String RECORD = "create table fill_commits as select setting || ' from ' || source as v from pg_settings "
            + "where name = 'synchronous_commit';\n";
    private static final TestPostgres PG = TestPostgres.get();

    @Test
    void theFillSkipsFlushWaitsAndTheRestoredDatabaseHasNoSettingOfItsOwn() {
        CrossEnvironmentFixture f = fixture();

        restore(f);

        assertEquals(List.of("off from database"), PG.query(f.target, "select v from fill_commits"),
                "the fill's sessions");
        assertEquals(List.of(), ownSettings(f.target));
        assertEquals(List.of("command line"), PG.query(f.target, "select source from pg_settings "
                + "where name = 'synchronous_commit'"), "a new session's: the server's default again");
    }

    @Test
    void theTargetsOwnSettingIsCarriedOverAfterTheFillsIsTakenBack() {
        CrossEnvironmentFixture f = fixture();
        PG.admin("alter database " + f.target + " set synchronous_commit = local");

        restore(f);

        assertEquals(List.of("off from database"), PG.query(f.target, "select v from fill_commits"),
                "the fill's sessions, not the target's setting");
        assertEquals(List.of("synchronous_commit=local"), ownSettings(f.target));
        assertEquals(List.of("local from database"), PG.query(f.target, "select setting || ' from ' || source "
                + "from pg_settings where name = 'synchronous_commit'"));
    }

    private static CrossEnvironmentFixture fixture() {
        String parameter = CrossEnvironmentFixture.putScriptParameter("/pharmatracker/staging/sanitize-"
                + UUID.randomUUID().toString().substring(0, 8), RECORD);
        // two jobs: pg_restore --jobs commits every entry on its own, the case the setting is for
        return new CrossEnvironmentFixture(Map.of("SANITIZE_SCRIPT_PARAMETER", parameter, "RESTORE_JOBS", "2"));
    }

    private static void restore(CrossEnvironmentFixture f) {
        f.safetyBackup();
        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);
        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(List.of("300"), PG.query(f.target, "select count(*) from orders"), "production's orders");
    }

    /** What is set on the database itself (for every role), as pg_db_role_setting holds it. */
    private static List<String> ownSettings(String database) {
        return PG.query("postgres", "select array_to_string(s.setconfig, ',') from pg_db_role_setting s "
                + "join pg_database d on d.oid = s.setdatabase where d.datname = '" + database + "' and s.setrole = 0");
    }
}
