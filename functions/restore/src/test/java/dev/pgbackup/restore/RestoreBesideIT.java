package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.ReadmeExamples;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Restores beside the current database, through the restore API against a real PostgreSQL: a whole backup into a new
 * database that leaves the current one exactly as it was (rows, sequences, schema, even its sessions); copies that
 * expire and are bounded, each drop audited; and a table-only restore, equal row for row to the table in the backup,
 * with which docs/restore.md's recipe puts deleted rows back while every other table stays as it is.
 */
class RestoreBesideIT {
    /** Everything a restore beside must not change: rows, sequences, views, functions, indexes, columns, constraints. */
    static Map<String, List<String>> everything(TestPostgres pg, String db) {
        Map<String, List<String>> all = new LinkedHashMap<>(pg.snapshot(db));
        all.put("columns", pg.query(db, "select table_schema || '.' || table_name || '.' || column_name || ' ' "
                + "|| data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') from information_schema.columns "
                + "where table_schema not in ('pg_catalog', 'information_schema') order by 1"));
        all.put("constraints",
                pg.query(db, "select conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) "
                        + "from pg_constraint where connamespace = 'public'::regnamespace order by 1"));
        all.put("database", pg.query("postgres", "select oid || ' ' || pg_get_userbyid(datdba) || ' ' || datallowconn "
                + "from pg_database where datname = '" + db + "'"));
        return all;
    }

    static String copyOf(APIGatewayV2HTTPResponse response) {
        return (String) RestoreIT.bodyOf(response).get("database");
    }

    @Test
    void aBackupRestoredBesideLeavesTheCurrentDatabaseExactlyAsItWasAndNeedsNoSafetyBackup() throws Exception {
        CrossEnvironmentFixture f = new CrossEnvironmentFixture(Map.of());
        Map<String, List<String>> before = everything(f.pg, f.target);
        String copy;
        try (Connection session = f.pg.connection(f.target).open()) {
            APIGatewayV2HTTPResponse response = f.restore(CrossEnvironmentFixture.body(f.productionBackup, "into",
                    "copy"));

            assertEquals(200, response.getStatusCode(), response.getBody());
            copy = copyOf(response);
            assertTrue(copy.startsWith(DatabaseNames.base(f.target) + "_copy_"), copy);
            assertEquals(Map.of("success", true, "message", "Database restored successfully from backup: "
                    + f.productionBackup + " into the new database '" + copy + "' beside '" + f.target + "'",
                    "database", copy), RestoreIT.bodyOf(response));
            assertEquals(before, everything(f.pg, f.target), "the current database is exactly as it was");
            assertTrue(session.isValid(5), "none of its sessions was ended");
            assertEquals(CrossEnvironmentFixture.FIRST_PRODUCTION_NAME, f.firstCustomer(copy));
            assertEquals(List.of("300"), f.pg.query(copy, "select count(*) from orders"));
            assertEquals(List.of("0"), f.pg.query(copy, "select count(*) from pg_stat_user_tables where last_analyze "
                    + "is null"), "the copy is analysed too");
        }
        JobRecord job = f.jobs().get(0);
        assertEquals("copy", job.into());
        assertEquals(copy, job.database());
        assertTrue(job.details().startsWith("mode copy; new database '" + job.database() + "' beside '" + f.target
                + "'"), job.details());
        assertEquals(List.of("COPY " + job.database()), f.journal());
        assertEquals(List.of(), f.keys("pgbackup/state/pharmatracker-staging/last-restore.json"),
                "a copy changed nothing: the next restore's way back is the same");
        assertEquals(List.of(), f.keys("pgbackup/locks/"));
    }

    @Test
    void copiesExpireAndAreBoundedAndEachDropIsAudited() {
        CrossEnvironmentFixture f = new CrossEnvironmentFixture(Map.of("RESTORE_COPY_EXPIRY_HOURS", "24",
                "RESTORE_COPIES_TO_KEEP", "2"));
        Map<String, Object> beside = CrossEnvironmentFixture.body(f.productionBackup, "into", "copy");
        String first = copyOf(f.restore(beside));
        f.clock.advance(Duration.ofHours(25));

        String second = copyOf(f.restore(beside));

        assertFalse(f.pg.databaseExists(first), "expired: dropped when the next restore started");
        assertEquals(1, dropLines(f, first, "expired: older than RestoreCopyExpiryHours (24 h)"), f.stack.audit());
        f.clock.advance(Duration.ofMinutes(1));
        String third = copyOf(f.restore(beside));
        f.clock.advance(Duration.ofMinutes(1));
        String fourth = copyOf(f.restore(beside));

        assertEquals(List.of(third, fourth), f.beside().stream().sorted().toList(),
                "at most two: the oldest went first");
        assertEquals(1,
                dropLines(f, second, "more than RestoreCopiesToKeep (2) copies with the new one: the oldest goes "
                        + "first"),
                f.stack.audit());
        assertTrue(f.jobs().get(3).details().contains("dropped the copy '" + second + "'"), f.jobs().get(3).details());

        // no restore for a day: the restore worker's hourly sweep drops them
        f.clock.advance(Duration.ofHours(24));
        Map<String, Object> swept = f.stack.handler(RestoreWorkerHandler.class)
                .handleRequest(Map.of("source", "aws.events",
                        "detail-type", "Scheduled Event", "id", "sweep-1", "detail", Map.of("task", "copy-sweep")),
                        new TestContext(Duration.ofMinutes(5)));

        assertEquals("SWEPT", swept.get("status"), swept.toString());
        assertEquals(List.of(), f.beside());
        assertEquals(List.of(), f.journal());
        assertEquals(1, dropLines(f, third, "expired: older than RestoreCopyExpiryHours (24 h)"));
        assertEquals(1, dropLines(f, fourth, "expired: older than RestoreCopyExpiryHours (24 h)"));
        assertEquals("NOTHING_EXPIRED", f.stack.handler(RestoreWorkerHandler.class).handleRequest(Map.of("source",
                "aws.events", "detail", Map.of("task", "copy-sweep")), new TestContext(Duration.ofMinutes(5)))
                .get("status"));
    }

    static long dropLines(CrossEnvironmentFixture f, String database, String reason) {
        return f.stack.audit().lines().filter(l -> l.contains("\"action\":\"restore.copy.drop\"")
                && l.contains("\"database\":\"" + database + "\"") && l.contains("\"reason\":\"" + reason + "\"")
                && l.contains("\"result\":\"DROPPED\"")).count();
    }

    /**
     * The case, as a user meets it: rows deleted from orders after last night's backup, the table restored
     * beside, docs/restore.md's recipe run as written, the rows back; what was written since stays, and every other table
     * is as it was.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "RESTORE_JOBS={0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"1", "2"})
    void aTableRestoredBesideIsTheBackupsRowForRowAndTheRecipePutsDeletedRowsBack(String jobs) throws Exception {
        CrossEnvironmentFixture f = new CrossEnvironmentFixture(Map.of("RESTORE_JOBS", jobs));
        List<String> ordersAtBackup = rows(f.pg, f.target, "public.orders");
        List<String> sequencesAtBackup = f.pg.query(f.target,
                "select sequencename || ' ' || last_value from pg_sequences "
                        + "where sequencename in ('orders_id_seq', 'invoice_numbers') order by 1");
        String backup = f.safetyBackup();
        // after the backup: new writes, then the mistake
        f.pg.execute(f.target,
                "set role app_owner; insert into customers(name, email) values ('late', 'late@example.com');"
                        + "insert into orders(customer_id, details, amount) values (1, '{\"late\":true}', 1.50);");
        f.pg.execute(f.target, "set role app_owner; delete from orders where customer_id between 2 and 11");
        Map<String, List<String>> afterMistake = everything(f.pg, f.target);
        assertEquals(ordersAtBackup.size() + 1 - 10, rows(f.pg, f.target, "public.orders").size());

        APIGatewayV2HTTPResponse response = f.restore(CrossEnvironmentFixture.body(backup, "tables",
                List.of("public.orders")));

        assertEquals(200, response.getStatusCode(), response.getBody());
        String copy = copyOf(response);
        assertEquals("Database restored successfully from backup: " + backup + " into the new database '" + copy
                + "' beside '" + f.target + "' (tables public.orders)", RestoreIT.bodyOf(response).get("message"));
        assertEquals(ordersAtBackup, rows(f.pg, copy, "public.orders"), "the table as the backup holds it");
        assertEquals(List.of("public.orders"), f.pg.query(copy, "select schemaname || '.' || tablename from pg_tables "
                + "where schemaname not in ('pg_catalog', 'information_schema')"), "only that table");
        assertEquals(f.pg.query(f.target, "select indexdef from pg_indexes where tablename = 'orders' order by 1"),
                f.pg.query(copy, "select indexdef from pg_indexes where tablename = 'orders' order by 1"),
                "with its indexes (pg_restore --table alone drops them)");
        assertEquals(List.of("orders_pkey PRIMARY KEY (id)"), f.pg.query(copy, "select conname || ' ' || "
                + "pg_get_constraintdef(oid) from pg_constraint where conrelid = 'public.orders'::regclass"),
                "its own constraints; not the foreign key to customers, which were not restored");
        assertEquals(sequencesAtBackup, f.pg.query(copy, "select sequencename || ' ' || last_value from pg_sequences "
                + "order by 1"), "the sequences it needs, where the backup left them");
        assertEquals(afterMistake, everything(f.pg, f.target), "the current database untouched by the restore");
        assertEquals(List.of("public.orders"), f.jobs().get(0).tables());
        // pg_restore stops reading once it has the table; the rest is still read, so every byte is checked
        assertTrue(f.jobs().get(0).details().contains("; checksum verified"), f.jobs().get(0).details());
        assertTrue(f.jobs().get(0).details().contains(jobs.equals("1") ? "streamed from S3" : "with 2 jobs"),
                f.jobs().get(0).details());

        runRecipe(f, copy);

        List<String> expected = new java.util.ArrayList<>(ordersAtBackup);
        expected.addAll(f.pg.query(f.target, "select t::text from public.orders t where details ? 'late'"));
        assertEquals(expected.stream().sorted().toList(), rows(f.pg, f.target, "public.orders"),
                "the deleted rows are back, the order written since is kept");
        Map<String, List<String>> now = everything(f.pg, f.target);
        for (String key : afterMistake.keySet()) {
            if (!key.equals("table public.orders")) {
                assertEquals(afterMistake.get(key), now.get(key), key + " untouched");
            }
        }
    }

    static List<String> rows(TestPostgres pg, String db, String table) {
        return pg.query(db, "select t::text from " + table + " t order by 1");
    }

    /** docs/restore.md "Undo a bad DELETE", run by bash as written, with the tools of the server's major from the layer. */
    static void runRecipe(CrossEnvironmentFixture f, String copy) throws Exception {
        String url = "postgresql://" + TestPostgres.APP_USER + "@127.0.0.1:" + f.pg.port() + "/";
        ProcessBuilder bash = new ProcessBuilder("bash", "-euo", "pipefail", "-c", ReadmeExamples.block(
                "# undo-delete.sh: COPY_URL is the copy the restore answered with, DB_URL the live database (same "
                        + "server and user)"));
        bash.environment().put("PATH", RepoPaths.pgTool(f.pg.serverMajor(), "psql").getParent() + ":"
                + System.getenv("PATH"));
        bash.environment().put("LD_LIBRARY_PATH", RepoPaths.pgToolsDir().resolve("lib").toString());
        bash.environment().put("PGPASSWORD", TestPostgres.APP_PASSWORD);
        bash.environment().put("COPY_URL", url + copy + "?sslmode=disable");
        bash.environment().put("DB_URL", url + f.target + "?sslmode=disable");
        bash.redirectErrorStream(true);
        Process p = bash.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("INSERT 0 10"), output);
    }

    @Test
    void aTableTheBackupLacksIsRefusedBeforeAnythingIsCreated() {
        CrossEnvironmentFixture f = new CrossEnvironmentFixture(Map.of());

        APIGatewayV2HTTPResponse response = f.restore(CrossEnvironmentFixture.body(f.productionBackup, "tables",
                List.of("public.orders", "public.ordrs"), "schemas", List.of("sales")));

        assertEquals(404, response.getStatusCode(), response.getBody());
        assertEquals("Restore refused: the backup has no table public.ordrs, sales.* (names are as the database stores "
                + "them: schema.table, lower-case unless created quoted) (backup " + f.productionBackup
                + "); nothing was "
                + "created. The database '" + f.target + "' was not changed",
                RestoreIT.bodyOf(response).get("message"));
        assertEquals(List.of(), f.beside());
        assertEquals(List.of(), f.journal());
        assertNotEquals(null, f.jobs().get(0).failure());
    }
}
