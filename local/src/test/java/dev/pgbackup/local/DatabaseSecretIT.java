package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestSecrets;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The database credentials from a Secrets Manager secret in the RDS JSON shape (moto over HTTP), against the
 * real PostgreSQL and the layer's real tools: a backup and a restore through the secret, a password rotated
 * between jobs and between the first connection and pg_dump's start (each job succeeds after exactly one
 * re-read), a wrong password, a missing secret and a refused read. Each test's database has a role of its own,
 * so rotating its password leaves every other test alone.
 */
class DatabaseSecretIT {
    static final TestPostgres pg = TestPostgres.get();

    /** A role with a password and a database it owns, with rows, a view and a sequence. */
    record Db(String role, String password, String database) {
        String secret() {
            return TestSecrets.rds("127.0.0.1", pg.port(), role, password, database);
        }

        Db rotated() {
            Db next = new Db(role, "Rotated-" + UUID.randomUUID(), database);
            pg.admin("alter role " + role + " password '" + next.password + "'");
            return next;
        }
    }

    static Db newDatabase() {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        Db db = new Db("rot_" + tag, "Secret-Pa55-" + UUID.randomUUID(), "secret_src_" + tag);
        pg.admin("create role " + db.role() + " login createdb password '" + db.password() + "'");
        pg.admin("create database " + db.database() + " owner " + db.role());
        pg.execute(db.database(), "set role " + db.role() + ";"
                + " create table accounts (id bigserial primary key, owner text not null, balance numeric(12,2),"
                + " opened timestamptz not null default '2026-01-01');"
                + " insert into accounts(owner, balance) select 'owner ' || g, g * 1.5 from generate_series(1, 3000) g;"
                + " create view rich as select id, owner from accounts where balance > 1000;"
                + " create sequence tickets start 500; select nextval('tickets');");
        return db;
    }

    static TestStack stack(String arn, URI aws, Map<String, String> extra) {
        String bucket = "secret-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        Map<String, String> env = new HashMap<>(Map.of("DB_URL_PARAMETER", "", "DB_SECRET_ARN", arn,
                "DB_CONNECTION_OPTIONS", "sslmode=disable", "RESTORE_JOBS", "1"));
        env.putAll(extra);
        return TestStack.create("production", bucket, "postgres", env, Clock.systemUTC(), aws);
    }

    /**
     * Tools whose {@code tool} stops its first run at a gate (the file "go" in the returned directory) once it has
     * started ("started"), each run noted in "runs": a test rotates the password meanwhile, and the run then connects
     * with the password it was given, which the server no longer accepts.
     */
    static Path gatedFirstRun(String tool) {
        return FakeTools.wrapping(tool, """
                echo run >> "$ROOT/runs"
                if [ ! -e "$ROOT/started" ]; then
                  touch "$ROOT/started"
                  while [ ! -e "$ROOT/go" ]; do sleep 0.05; done
                fi
                exec "$REAL" "$@"
                """);
    }

    static Map<String, Object> backup(TestStack stack) {
        return stack.handler(BackupWorkerHandler.class).handleRequest(Map.of("source", "aws.events", "detail-type",
                "Scheduled Event", "id", UUID.randomUUID().toString()), new TestContext(Duration.ofMinutes(5)));
    }

    static Map<String, Object> restore(TestStack stack, String filename) {
        String jobId = JobStore.newJobId();
        assertTrue(stack.wiring.restoreLock().acquire(jobId, "ops", filename).acquired());
        stack.wiring.jobs.save(JobRecord.started(jobId, JobRecord.Type.RESTORE, stack.environment, filename, "ops",
                "api", Instant.now()));
        return stack.handler(RestoreWorkerHandler.class).handleRequest(
                new WorkerPayload(jobId, stack.environment, filename, "SWAP").toMap(),
                new TestContext(Duration.ofMinutes(5)));
    }

    static int secretReads(FaultProxy proxy) {
        return proxy.requests(FaultProxy.ssm("GetSecretValue")).size();
    }

    static List<String> backupObjects(TestStack stack) {
        return stack.s3.listObjectsV2(b -> b.bucket(stack.bucket).prefix("pharmatracker-")).contents().stream()
                .map(o -> o.key()).toList();
    }

    /** Neither the audit lines nor any job record holds any of the passwords. */
    static void assertNoPassword(TestStack stack, List<Map<String, Object>> results, String... passwords) {
        for (String password : passwords) {
            assertFalse(stack.audit().contains(password), "a password in the audit log");
            for (Map<String, Object> result : results) {
                String record = Json.write(stack.wiring.jobs.find((String) result.get("jobId")).orElseThrow());
                assertFalse(record.contains(password), "a password in the job record: " + record);
            }
        }
    }

    @Test
    void aBackupAndARestoreThroughTheSecretBringBackEveryRow() {
        Db db = newDatabase();
        TestStack stack = stack(TestSecrets.create(db.secret()), MotoServer.get().endpoint(), Map.of());
        Map<String, List<String>> original = pg.snapshot(db.database());

        Map<String, Object> backup = backup(stack);
        assertEquals("SUCCEEDED", backup.get("status"), String.valueOf(backup.get("message")));
        pg.execute(db.database(), "set role " + db.role() + "; delete from accounts where id > 10;"
                + " insert into accounts(owner, balance) values ('after the backup', 1)");
        assertNotEquals(original, pg.snapshot(db.database()));
        Map<String, Object> restore = restore(stack, (String) backup.get("filename"));

        assertEquals("SUCCEEDED", restore.get("status"), String.valueOf(restore.get("message")));
        assertEquals(original, pg.snapshot(db.database()));
        assertNoPassword(stack, List.of(backup, restore), db.password());
    }

    @Test
    void aPasswordRotatedBetweenJobsIsReadAgainExactlyOncePerJob() {
        Db db = newDatabase();
        String arn = TestSecrets.create(db.secret());
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            TestStack stack = stack(arn, proxy.endpoint(), Map.of());
            Map<String, Object> first = backup(stack);
            assertEquals("SUCCEEDED", first.get("status"), String.valueOf(first.get("message")));
            assertEquals(1, secretReads(proxy));
            Map<String, List<String>> backedUp = pg.snapshot(db.database());

            // RDS rotates: the role's password changes and so does the secret; the worker still caches the old one
            Db second = db.rotated();
            TestSecrets.rotate(arn, second.secret());
            Map<String, Object> afterRotation = backup(stack);
            assertEquals("SUCCEEDED", afterRotation.get("status"), String.valueOf(afterRotation.get("message")));
            assertEquals(2, secretReads(proxy), "one re-read after the refusal");
            assertTrue(stack.audit().contains("\"credentialsReread\":true"), stack.audit());

            Db third = second.rotated();
            TestSecrets.rotate(arn, third.secret());
            pg.execute(db.database(), "set role " + db.role() + "; truncate accounts");
            Map<String, Object> restore = restore(stack, (String) afterRotation.get("filename"));
            assertEquals("SUCCEEDED", restore.get("status"), String.valueOf(restore.get("message")));
            assertEquals(3, secretReads(proxy), "one re-read for the restore's first connection");
            assertEquals(backedUp, pg.snapshot(db.database()));
            assertNoPassword(stack, List.of(first, afterRotation, restore), db.password(), second.password(),
                    third.password());
        }
    }

    @Test
    void aPasswordRotatedBetweenTheFirstConnectionAndPgDumpIsReadAgainForPgDump() throws Exception {
        Db db = newDatabase();
        String arn = TestSecrets.create(db.secret());
        Path tools = gatedFirstRun("pg_dump");
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            TestStack stack = stack(arn, proxy.endpoint(), Map.of("PG_TOOLS_DIR", tools.toString()));
            Map<String, List<String>> original = pg.snapshot(db.database());
            CompletableFuture<Map<String, Object>> job = CompletableFuture.supplyAsync(() -> backup(stack));
            Waits.until(Duration.ofMinutes(2), "pg_dump's first run", () -> Files.exists(tools.resolve("started")));
            Db rotated = db.rotated();
            TestSecrets.rotate(arn, rotated.secret());
            Files.createFile(tools.resolve("go"));

            Map<String, Object> backup = job.get(5, TimeUnit.MINUTES);

            assertEquals("SUCCEEDED", backup.get("status"), String.valueOf(backup.get("message")));
            assertEquals(List.of("run", "run"), Files.readAllLines(tools.resolve("runs")));
            assertEquals(2, secretReads(proxy));
            assertEquals(List.of((String) backup.get("filename")), backupObjects(stack));
            assertNoPassword(stack, List.of(backup), db.password(), rotated.password());
            // what was uploaded after the refused first run is a whole, restorable backup
            pg.execute(db.database(), "set role " + db.role() + "; delete from accounts");
            Map<String, Object> restore = restore(stack, (String) backup.get("filename"));
            assertEquals("SUCCEEDED", restore.get("status"), String.valueOf(restore.get("message")));
            assertEquals(original, pg.snapshot(db.database()));
        }
    }

    @Test
    void aPasswordRotatedBeforePgRestoreConnectsIsReadAgainForPgRestore() throws Exception {
        Db db = newDatabase();
        String arn = TestSecrets.create(db.secret());
        // the pg_restore that restores into the new database (not the archive check before it) waits at a gate
        Path tools = FakeTools.wrapping("pg_restore", """
                case " $* " in *" --dbname="*)
                  echo run >> "$ROOT/runs"
                  if [ ! -e "$ROOT/started" ]; then
                    touch "$ROOT/started"
                    while [ ! -e "$ROOT/go" ]; do sleep 0.05; done
                  fi;;
                esac
                exec "$REAL" "$@"
                """);
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            TestStack stack = stack(arn, proxy.endpoint(), Map.of("PG_TOOLS_DIR", tools.toString()));
            Map<String, List<String>> original = pg.snapshot(db.database());
            Map<String, Object> backup = backup(stack);
            assertEquals("SUCCEEDED", backup.get("status"), String.valueOf(backup.get("message")));
            pg.execute(db.database(), "set role " + db.role() + "; delete from accounts where id > 50");
            CompletableFuture<Map<String, Object>> job = CompletableFuture
                    .supplyAsync(() -> restore(stack, (String) backup.get("filename")));
            Waits.until(Duration.ofMinutes(2), "pg_restore's first run", () -> Files.exists(tools.resolve("started")));
            Db rotated = db.rotated();
            TestSecrets.rotate(arn, rotated.secret());
            Files.createFile(tools.resolve("go"));

            Map<String, Object> restore = job.get(5, TimeUnit.MINUTES);

            assertEquals("SUCCEEDED", restore.get("status"), String.valueOf(restore.get("message")));
            assertEquals(List.of("run", "run"), Files.readAllLines(tools.resolve("runs")));
            // the workers are two functions, each with its own cache: one read each, and one re-read for pg_restore
            assertEquals(3, secretReads(proxy), "the backup worker's read, the restore worker's and its re-read");
            assertTrue(stack.audit().contains("\"credentialsReread\":true"), stack.audit());
            assertEquals(original, pg.snapshot(db.database()));
            assertNoPassword(stack, List.of(backup, restore), db.password(), rotated.password());
        }
    }

    @Test
    void aWrongPasswordFailsClearlyWritesNothingAndFreesTheLock() {
        Db db = newDatabase();
        String wrong = "Wrong-" + UUID.randomUUID();
        String arn = TestSecrets.create(TestSecrets.rds("127.0.0.1", pg.port(), db.role(), wrong, db.database()));
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            TestStack stack = stack(arn, proxy.endpoint(), Map.of());

            Map<String, Object> backup = backup(stack);

            assertEquals("FAILED", backup.get("status"));
            assertEquals("Backup failed: the database refused the credentials from the Secrets Manager secret in "
                    + "DB_SECRET_ARN (re-read once after a possible rotation); no backup was written",
                    backup.get("message"));
            assertEquals(2, secretReads(proxy), "read, then read again once");
            assertEquals(List.of(), backupObjects(stack));
            assertTrue(stack.wiring.backupLock().holder().isEmpty(), "the lock is released");
            assertNoPassword(stack, List.of(backup), wrong, db.password());
        }
    }

    @Test
    void aRestoreRefusedTheCredentialsLeavesTheDatabaseAsItWas() {
        Db db = newDatabase();
        String arn = TestSecrets.create(db.secret());
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            TestStack stack = stack(arn, proxy.endpoint(), Map.of());
            Map<String, Object> backup = backup(stack);
            assertEquals("SUCCEEDED", backup.get("status"), String.valueOf(backup.get("message")));
            pg.execute(db.database(), "set role " + db.role() + "; delete from accounts where id > 100");
            Map<String, List<String>> before = pg.snapshot(db.database());
            // the password changes, the secret does not: re-reading cannot help
            Db changed = db.rotated();

            Map<String, Object> restore = restore(stack, (String) backup.get("filename"));

            assertEquals("FAILED", restore.get("status"));
            assertEquals("Restore failed: the database refused the credentials from the Secrets Manager secret in "
                    + "DB_SECRET_ARN (re-read once after a possible rotation). The database '" + db.database()
                    + "' was not changed", restore.get("message"));
            assertEquals(3, secretReads(proxy), "the backup worker's read, the restore worker's and its one re-read");
            assertEquals(before, pg.snapshot(db.database()));
            assertEquals(List.of(db.database()), pg.databases(db.database()));
            assertTrue(stack.wiring.restoreLock().holder().isEmpty(), "the lock is released");
            assertNoPassword(stack, List.of(backup, restore), db.password(), changed.password());
        }
    }

    @Test
    void aMissingSecretIsNamedOnlyInTheLog() {
        String arn = TestSecrets.missing();
        TestStack stack = stack(arn, MotoServer.get().endpoint(), Map.of());

        Map<String, Object> backup = backup(stack);

        assertEquals("FAILED", backup.get("status"));
        assertEquals("The database secret does not exist in Secrets Manager (its ARN is in the function's log)",
                backup.get("message"));
        JobRecord record = stack.wiring.jobs.find((String) backup.get("jobId")).orElseThrow();
        assertEquals("Secrets Manager secret not found: " + arn, record.diagnostic());
        assertEquals(List.of(), backupObjects(stack));
        assertTrue(stack.wiring.backupLock().holder().isEmpty(), "the lock is released");
    }

    @Test
    void aReadSecretsManagerRefusesSaysSoWithoutTheArn() throws IOException {
        Db db = newDatabase();
        String arn = TestSecrets.create(db.secret());
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            proxy.when(FaultProxy.ssm("GetSecretValue")).respondSsmError(400, "AccessDeniedException",
                    "User: arn:aws:sts::123456789012:assumed-role/worker is not authorized to perform: "
                            + "secretsmanager:GetSecretValue on resource: " + arn);
            TestStack stack = stack(arn, proxy.endpoint(), Map.of());

            Map<String, Object> backup = backup(stack);

            assertEquals("FAILED", backup.get("status"));
            assertEquals("The database secret could not be read: Secrets Manager denied access (the secret's ARN and "
                    + "the function's role are in its log)", backup.get("message"));
            assertEquals(arn + ": AccessDeniedException",
                    stack.wiring.jobs.find((String) backup.get("jobId")).orElseThrow().diagnostic());
            assertEquals(List.of(), backupObjects(stack));
            assertTrue(stack.wiring.backupLock().holder().isEmpty(), "the lock is released");
        }
    }
}
