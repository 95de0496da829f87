package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.testsupport.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A multi-tenant database as users have them, not as our fixtures were: 2,000 tables in 40 schemas, every schema
 * and table name 63 bytes long (PostgreSQL's limit). A backup reported SUCCEEDED restores through the API, its
 * drill passes, and a pg_dump that fails on it explains itself.
 */
class ManyTablesIT {
    static final int SCHEMAS = 40;
    static final int TABLES_PER_SCHEMA = 50;
    static TestPostgres pg;
    static String db;

    @BeforeAll
    static void tenants() {
        pg = TestPostgres.get();
        db = "tenants_" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(db);
        pg.execute(db, """
                set role app_owner;
                do $$
                declare s text; t text;
                begin
                  for i in 1..%d loop
                    s := rpad(format('tenant_%%s_operations_', lpad(i::text, 4, '0')), 63, 's');
                    execute format('create schema %%I', s);
                    for j in 1..%d loop
                      t := rpad(format('prescription_line_items_%%s_archive_', lpad(j::text, 3, '0')), 63, 't');
                      execute format('create table %%I.%%I (id int primary key, note text)', s, t);
                      execute format('insert into %%I.%%I values (1, %%L), (2, %%L)', s, t, s, t);
                    end loop;
                  end loop;
                end $$;
                """.formatted(SCHEMAS, TABLES_PER_SCHEMA));
        assertEquals(List.of(String.valueOf(SCHEMAS * TABLES_PER_SCHEMA)),
                pg.query(db, "select count(*) from pg_tables "
                        + "where schemaname like 'tenant\\_%' and length(tablename) = 63 and length(schemaname) = 63"));
    }

    /** Every table's rows as one digest per table, in one query (2,000 tables, 2,000 digests). */
    static List<String> digests(String database) {
        return pg.query(database, """
                select format('%I.%I', schemaname, tablename) || ' ' || (xpath('/row/d/text()', query_to_xml(format(
                  'select md5(coalesce(string_agg(t::text, E''\\n'' order by t::text), '''')) as d from %I.%I t',
                  schemaname, tablename), false, true, '')))[1]::text
                from pg_tables where schemaname not in ('pg_catalog', 'information_schema') order by 1""");
    }

    @Test
    void aBackupOfTwoThousandLongNamedTablesRestoresThroughTheApiAndItsDrillPasses() {
        ApiStack production = ApiStack.create("production", ApiStack.newBucket("tenants"), db, Map.of());
        List<String> before = digests(db);
        assertEquals(SCHEMAS * TABLES_PER_SCHEMA, before.size());

        ApiStack.Done backup = production.backup();

        assertTrue(backup.succeeded(), backup::toString);
        String filename = backup.job().filename();
        BackupObject object = production.stack.wiring.catalog.find(filename).orElseThrow();
        Manifest manifest = production.stack.wiring.catalog.manifest(object).orElseThrow();
        assertEquals(2000, manifest.countedTables(), "every table counted, in its own object");
        assertTrue(backup.job().details().contains("rows of 2000 tables counted"), backup.job().details());

        String first = before.get(0).substring(0, before.get(0).indexOf(' '));
        pg.execute(db, "set role app_owner; delete from " + first + "; drop table " + before.get(1).substring(0,
                before.get(1).indexOf(' ')));
        assertFalse(before.equals(digests(db)));

        ApiStack.Done restore = production.restore(filename);

        assertTrue(restore.succeeded(), restore::toString);
        assertEquals(200, restore.answer().getStatusCode(), restore::toString);
        assertEquals(before, digests(db), "every table's rows are back");

        JobRecord drill = production.drill();
        assertEquals(JobRecord.Status.SUCCEEDED, drill.status(), drill::toString);
        assertTrue(drill.details().contains("rows of 2000 tables compared"), drill.details());
        assertTrue(drill.message().contains(": 2000 tables, row counts equal"), drill.message());
    }

    /**
     * A table the backup role cannot read (owned by a migration role or an extension, common on RDS): pg_dump's
     * DETAIL line quotes a LOCK TABLE of all 2,000 tables, and the error before it must still reach the job.
     */
    @Test
    void anUnreadableTableAmongThousandsIsExplained() {
        ApiStack production = ApiStack.create("production", ApiStack.newBucket("tenants"), db, Map.of());
        pg.execute(db, "create table public.secret_t (id int)"); // as the superuser: app_owner may not read it
        try {
            ApiStack.Done backup = production.backup();

            assertFalse(backup.succeeded(), backup::toString);
            JobRecord job = backup.job();
            assertEquals(JobRecord.Status.FAILED, job.status());
            assertTrue(job.message().startsWith("Backup failed: pg_dump exited with code 1: the database user lacks a "
                    + "privilege the tool needs (pg_dump needs SELECT on every table and sequence it dumps"),
                    job.message());
            assertFalse(job.message().contains("secret_t"), "the caller's message names no object");
            assertTrue(job.diagnostic().contains("permission denied for table secret_t"), job.diagnostic());
            assertTrue(job.diagnostic().contains("LOCK TABLE"), "the detail line is kept, cut: " + job.diagnostic());
            assertTrue(job.diagnostic().getBytes(StandardCharsets.UTF_8).length < 16 * 1024, "bounded");
            String audit = production.stack.audit();
            assertTrue(audit.contains("permission denied for table secret_t"), "the audit line's diagnostic: " + audit);
            assertEquals(List.of(), production.stack.wiring.catalog.listAll(), "no backup was written");
        } finally {
            pg.execute(db, "drop table public.secret_t");
        }
    }
}
