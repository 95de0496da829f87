package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.backup.BackupApiHandler;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.config.DumpScope;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.list.JobStatusHandler;
import dev.pgbackup.restore.api.RestoreApiHandler;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What a backup includes (BACKUP_INCLUDE_SCHEMAS, BACKUP_EXCLUDE_SCHEMAS, BACKUP_EXCLUDE_TABLE_DATA), through the
 * real handlers, pg_dump and pg_restore: a left-out schema is absent after the restore, a table whose data was
 * left out is there and empty, everything else is equal row for row, and the records and answers say so.
 */
class DumpScopeIT {
    static final TestPostgres pg = TestPostgres.get();

    /** public (customers, events, a view), audit (a log) and app (settings), each table with rows. */
    static String newDatabase() {
        String database = "scope_" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(database);
        pg.execute(database, "set role " + TestPostgres.APP_USER + ";"
                + " create table customers (id int primary key, name text not null);"
                + " insert into customers select g, 'customer ' || g from generate_series(1, 500) g;"
                + " create table events (id int primary key, customer int references customers(id), kind text);"
                + " insert into events select g, 1 + g % 500, 'viewed' from generate_series(1, 2000) g;"
                + " create view busy as select customer, count(*) from events group by customer;"
                + " create schema audit; create table audit.log (id int primary key, what text);"
                + " insert into audit.log select g, 'login ' || g from generate_series(1, 300) g;"
                + " create schema app; create table app.settings (key text primary key, value text);"
                + " insert into app.settings values ('theme', 'dark'), ('locale', 'en');");
        return database;
    }

    static TestStack stack(String database, Map<String, String> scope) {
        String bucket = "scope-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        Map<String, String> env = new HashMap<>(Map.of("RESTORE_JOBS", "1"));
        env.putAll(scope);
        TestStack stack = TestStack.create("staging", bucket, database, env);
        stack.worker(stack.env.get("BACKUP_WORKER_FUNCTION"),
                (payload, context) -> stack.handler(BackupWorkerHandler.class).handleRequest(map(payload), context));
        stack.worker(stack.env.get("RESTORE_WORKER_FUNCTION"),
                (payload, context) -> stack.handler(RestoreWorkerHandler.class).handleRequest(map(payload), context));
        return stack;
    }

    static Map<String, Object> map(String json) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<Map<String, Object>>() {});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** POST /api/setting/backup as the web application sends it; the answer's body with its status code. */
    static Map<String, Object> backup(TestStack stack) {
        return answer(stack, stack.handler(BackupApiHandler.class).handleRequest(ApiEvents.request("POST",
                "/api/setting/backup", TestStack.bearer(stack.token("ops", "WEB_ACCESS")), ""),
                new TestContext(Duration.ofSeconds(30))));
    }

    /** POST /api/setting/restore with the passkey. */
    static Map<String, Object> restore(TestStack stack, Object filename) {
        return answer(stack, stack.handler(RestoreApiHandler.class).handleRequest(ApiEvents.request("POST",
                "/api/setting/restore", TestStack.bearer(stack.token("ops", "WEB_ACCESS")),
                "{\"filename\":\"" + filename + "\",\"passkey\":\"" + TestStack.PASSKEY + "\"}"),
                new TestContext(Duration.ofSeconds(30))));
    }

    private static Map<String, Object> answer(TestStack stack, APIGatewayV2HTTPResponse response) {
        stack.awaitWorkers();
        Map<String, Object> answer = map(response.getBody());
        answer.put("statusCode", response.getStatusCode());
        return answer;
    }

    static JobRecord onlyJob(TestStack stack, JobRecord.Type type) {
        String prefix = "pgbackup/jobs/pharmatracker-" + stack.environment + "/";
        return stack.s3.listObjectsV2(b -> b.bucket(stack.bucket).prefix(prefix)).contents().stream()
                .map(o -> stack.wiring.jobs.find(o.key().substring(prefix.length(), o.key().length() - 5))
                        .orElseThrow())
                .filter(j -> j.type() == type).reduce((a, b) -> {
                    throw new AssertionError("more than one " + type + " job");
                }).orElseThrow();
    }

    /** The answer matches docs/openapi.yaml's RestoreSucceeded (the message pattern with what was left out). */
    static void assertDocumented(Map<String, Object> answer) throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper yaml = new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
        com.fasterxml.jackson.databind.JsonNode spec = yaml.readTree(
                dev.pgbackup.testsupport.RepoPaths.root().resolve("docs/openapi.yaml").toFile());
        var root = OpenApiSchemas.rooted(spec,
                yaml.createObjectNode().put("$ref", "#/components/schemas/RestoreSucceeded"));
        Map<String, Object> body = new java.util.LinkedHashMap<>(answer);
        body.remove("statusCode");
        var problems = OpenApiSchemas.problems(root, yaml.valueToTree(body));
        assertTrue(problems.isEmpty(), problems + " in " + body);
    }

    /** The snapshot without what the backup left out. */
    static Map<String, List<String>> without(Map<String, List<String>> snapshot, String... keys) {
        Map<String, List<String>> rest = new java.util.LinkedHashMap<>(snapshot);
        for (String key : keys) {
            assertTrue(rest.remove(key) != null, "the snapshot had " + key);
        }
        return rest;
    }

    @Test
    void aLeftOutSchemaIsGoneALeftOutTablesDataIsEmptyAndEverythingElseIsEqual() throws IOException {
        String database = newDatabase();
        TestStack stack = stack(database, Map.of("BACKUP_EXCLUDE_SCHEMAS", "audit",
                "BACKUP_EXCLUDE_TABLE_DATA", "public.events"));
        Map<String, List<String>> original = pg.snapshot(database);

        Map<String, Object> backup = backup(stack);
        assertEquals(200, backup.get("statusCode"), backup.toString());
        String filename = (String) backup.get("filename");
        JobRecord backupJob = onlyJob(stack, JobRecord.Type.BACKUP);
        assertTrue(
                backupJob.details()
                        .contains("; scope: without schemas audit; without the data of tables public.events"),
                backupJob.details());
        Manifest manifest = stack.wiring.catalog.manifest(stack.wiring.catalog.find(filename).orElseThrow())
                .orElseThrow();
        assertEquals(new DumpScope(List.of(), List.of("audit"), List.of("public.events")), manifest.scope());
        pg.execute(database,
                "set role " + TestPostgres.APP_USER + "; update customers set name = 'renamed' where id > 400");

        Map<String, Object> restore = restore(stack, filename);

        String leftOut = "this backup left out: schemas audit; the data of tables public.events";
        assertEquals(200, restore.get("statusCode"), restore + "\n" + stack.audit());
        assertEquals("Database restored successfully from backup: " + filename + " (" + leftOut + ")",
                restore.get("message"));
        assertDocumented(restore);
        assertEquals(List.of("0"), pg.query(database, "select count(*) from pg_namespace where nspname = 'audit'"));
        assertEquals(List.of("0"), pg.query(database, "select count(*) from public.events"));
        assertEquals(without(original, "table audit.log", "table public.events"),
                without(pg.snapshot(database), "table public.events"));
        // the job status says it too, in the message and the details
        JobRecord restoreJob = onlyJob(stack, JobRecord.Type.RESTORE);
        APIGatewayV2HTTPResponse status = stack.handler(JobStatusHandler.class).handleRequest(ApiEvents.request("GET",
                "/api/setting/jobs/" + restoreJob.jobId(), TestStack.bearer(stack.token("ops", "WEB_ACCESS")), null),
                new TestContext(Duration.ofSeconds(30)));
        Map<String, Object> view = map(status.getBody());
        assertEquals(200, status.getStatusCode());
        assertEquals(restore.get("message"), view.get("message"));
        assertTrue(((String) view.get("details")).endsWith("; " + leftOut), (String) view.get("details"));
    }

    @Test
    void onlyTheIncludedSchemasAreBackedUp() throws IOException {
        String database = newDatabase();
        TestStack stack = stack(database, Map.of("BACKUP_INCLUDE_SCHEMAS", "public,app"));
        Map<String, List<String>> original = pg.snapshot(database);

        Map<String, Object> backup = backup(stack);
        assertEquals(200, backup.get("statusCode"), backup.toString());
        Map<String, Object> restore = restore(stack, backup.get("filename"));

        assertEquals(200, restore.get("statusCode"), restore + "\n" + stack.audit());
        assertEquals("Database restored successfully from backup: " + backup.get("filename")
                + " (this backup left out: schemas other than public, app)", restore.get("message"));
        assertDocumented(restore);
        assertEquals(List.of("0"), pg.query(database, "select count(*) from pg_namespace where nspname = 'audit'"));
        assertEquals(without(original, "table audit.log"), pg.snapshot(database));
    }

    @Test
    void anIncludedSchemaThatDoesNotExistFailsTheBackupAndWritesNothing() {
        String database = newDatabase();
        TestStack stack = stack(database, Map.of("BACKUP_INCLUDE_SCHEMAS", "sales"));

        Map<String, Object> backup = backup(stack);

        assertEquals(500, backup.get("statusCode"), backup.toString());
        JobRecord job = onlyJob(stack, JobRecord.Type.BACKUP);
        assertEquals("Backup failed: no schema of the database matches BACKUP_INCLUDE_SCHEMAS (sales); no backup was "
                + "written", backup.get("message"));
        assertEquals(JobRecord.Status.FAILED, job.status());
        assertTrue(stack.s3.listObjectsV2(b -> b.bucket(stack.bucket).prefix("pharmatracker-")).contents().isEmpty());
        assertTrue(stack.wiring.backupLock().holder().isEmpty(), "the lock is released");
    }
}
