package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Hashes;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.LastRestore;
import dev.pgbackup.restore.api.RefreshStarter;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.EventInbox;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.MutableClock;
import dev.pgbackup.testsupport.ReadmeExamples;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The scheduled refresh of staging from production, end to end against a real PostgreSQL, the layer's tools and moto:
 * what the refresh schedule sends the backup worker; staging's safety backup taken by it; production's newest
 * complete backup restored by the restore worker, masked by docs/refresh.md's sanitising script inside the new database
 * and analysed before the swap. A session polling staging throughout sees staging's old rows or masked production
 * rows, never production's own.
 */
class ScheduledRefreshIT {
    static final String WHERE_IT_RAN = "\ncreate table sanitized_in as select current_database() as db;\n";
    static final String STAGING_FIRST = "customer 1 staging-data";
    static final String MASKED_FIRST = "Customer 1";

    /** Production and staging, each its own stack and database, sharing one bucket and one clock. */
    static final class Environments {
        final MutableClock clock = new MutableClock(Instant.now());
        final TestPostgres pg = TestPostgres.get();
        final String bucket = "refresh-" + UUID.randomUUID().toString().substring(0, 8);
        final String productionDb = "refresh_prod_" + UUID.randomUUID().toString().substring(0, 8);
        final String stagingDb = "refresh_stag_" + UUID.randomUUID().toString().substring(0, 8);
        final TestStack production;
        final TestStack staging;
        final Map<String, List<String>> stagingBefore;

        Environments(Map<String, String> stagingOverrides) {
            TestStack.createBucket(bucket);
            pg.createDatabase(productionDb);
            SeedData.seed(pg, productionDb, 300, "production-data");
            SeedData.seedPersonalData(pg, productionDb, "production");
            pg.createDatabase(stagingDb);
            SeedData.seed(pg, stagingDb, 100, "staging-data");
            SeedData.seedPersonalData(pg, stagingDb, "staging");
            Map<String, String> env = new HashMap<>(Map.of("RESTORE_JOBS", "1"));
            env.putAll(stagingOverrides);
            staging = TestStack.create("staging", bucket, stagingDb, env, clock);
            // deployed after staging, naming its restore roles as readers of production's key (docs/deploy.md):
            // without it staging's worker may not decrypt production's manifest in AWS (IamEvaluationIT judges it)
            production = TestStack.create("production", bucket, productionDb,
                    Map.of("BackupKeyReaderRoleArns", staging.restoreRoles()), clock);
            staging.worker(staging.env.get("RESTORE_WORKER_FUNCTION"), (payload, context) -> staging
                    .handler(RestoreWorkerHandler.class).handleRequest(map(payload), context));
            stagingBefore = pg.snapshot(stagingDb);
        }

        /** A scheduled backup of production, as its schedule takes one. */
        String backUpProduction() {
            Map<String, Object> result = production.handler(BackupWorkerHandler.class).handleRequest(
                    schedule(Map.of()), new TestContext(Duration.ofMinutes(15)));
            assertEquals("SUCCEEDED", result.get("status"), result.toString());
            return (String) result.get("filename");
        }

        Map<String, Object> refresh(String executionId) {
            Map<String, Object> event = schedule(RefreshStarter.detail());
            event.put("id", executionId);
            Map<String, Object> result = staging.handler(BackupWorkerHandler.class).handleRequest(event,
                    new TestContext(Duration.ofMinutes(15)));
            staging.awaitWorkers();
            return result;
        }

        JobRecord job(String jobId) {
            return staging.wiring.jobs.find(jobId).orElseThrow();
        }

        List<JobRecord> stagingJobs() {
            String prefix = "pgbackup/jobs/pharmatracker-staging/";
            return keys(prefix).stream().map(k -> job(k.substring(prefix.length(), k.length() - 5)))
                    .sorted(java.util.Comparator.comparing(JobRecord::createdAt)).toList();
        }

        List<String> keys(String prefix) {
            return staging.s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                    .map(S3Object::key).toList();
        }

        String firstCustomer() {
            return pg.query(stagingDb, "select name from customers order by id limit 1").get(0);
        }
    }

    /** What EventBridge Scheduler sends (events/scheduled-*.json), with a fresh execution id and this detail. */
    static Map<String, Object> schedule(Map<String, Object> detail) {
        try {
            Map<String, Object> event = Json.MAPPER.readValue(RepoPaths.root().resolve("events/scheduled-refresh.json")
                    .toFile(), new TypeReference<Map<String, Object>>() {});
            event.put("id", UUID.randomUUID().toString());
            event.put("detail", new HashMap<>(detail));
            return event;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> map(String json) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<Map<String, Object>>() {});
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String putScript(String script) {
        String name = "/pharmatracker/staging/sanitize-" + UUID.randomUUID().toString().substring(0, 8);
        try (var ssm = new dev.pgbackup.common.AwsClients(Optional.of(MotoServer.get().endpoint()), true).ssm()) {
            ssm.putParameter(b -> b.name(name).value(script).type(ParameterType.SECURE_STRING).overwrite(true));
        }
        return name;
    }

    /** Polls staging's first customer, a new session each time (the swap ends sessions), until stopped. */
    static final class Watcher implements AutoCloseable {
        final Set<String> seen = ConcurrentHashMap.newKeySet();
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread thread;

        Watcher(TestPostgres pg, String db) {
            thread = new Thread(() -> {
                while (!stop.get()) {
                    try (Connection c = pg.connection(db).open();
                            Statement s = c.createStatement();
                            ResultSet rs = s.executeQuery("select name from customers order by id limit 1")) {
                        if (rs.next()) {
                            seen.add(rs.getString(1));
                        }
                    } catch (Exception e) {
                        // the database is being swapped (blocked, renamed): try again
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "staging-watcher");
            thread.setDaemon(true);
            thread.start();
        }

        void awaitSeeing(String value) {
            Waits.until(Duration.ofMinutes(1), "the watcher seeing '" + value + "'", () -> seen.contains(value)
                    ? true : null);
        }

        /** Until staging answers with something else than {@code value}: the refresh's database is in its place. */
        void awaitSeeingOtherThan(String value) {
            Waits.until(Duration.ofMinutes(1), "the watcher seeing the refreshed staging", () -> seen.stream()
                    .anyMatch(v -> !v.equals(value)) ? true : null);
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }
    }

    @Test
    void theScheduleRefreshesStagingWithProductionsNewestBackupMaskedBeforeAnyoneSeesIt() throws Exception {
        EventInbox inbox = EventInbox.create();
        String script = ReadmeExamples.sanitizeScript() + WHERE_IT_RAN;
        Map<String, String> env = new HashMap<>(inbox.env());
        env.put("REFRESH_SOURCE_ENVIRONMENT", "production");
        env.put("RESTORE_SOURCE_ENVIRONMENTS", "production,staging");
        env.put("SANITIZE_SCRIPT_PARAMETER", putScript(script));
        Environments e = new Environments(env);
        e.backUpProduction();
        e.pg.execute(e.productionDb, "set role app_owner; insert into orders(customer_id, details, amount) "
                + "values (1, '{\"newest\":true}', 9.99)");
        e.clock.advance(Duration.ofHours(1));
        String newest = e.backUpProduction();
        // newer still, but not complete: an archive whose records are not written yet is passed over
        e.clock.advance(Duration.ofHours(1));
        String unrecorded = dev.pgbackup.testsupport.BackupFiles.name("production", e.clock.instant());
        e.production.s3.putObject(b -> b.bucket(e.bucket).key(unrecorded), RequestBody.fromString("PGDMP partial"));
        String executionId = UUID.randomUUID().toString();

        Map<String, Object> started;
        try (Watcher watcher = new Watcher(e.pg, e.stagingDb)) {
            watcher.awaitSeeing(STAGING_FIRST);
            started = e.refresh(executionId);
            watcher.awaitSeeingOtherThan(STAGING_FIRST);
            watcher.close();
            assertEquals(Set.of(STAGING_FIRST, MASKED_FIRST), watcher.seen,
                    "staging's old rows or masked production rows, never production's own");
        }

        String jobId = RefreshStarter.scheduledJobId(e.staging.wiring.config, executionId);
        assertEquals(jobId, started.get("jobId"));
        JobRecord job = e.job(jobId);
        assertEquals(JobRecord.Status.SUCCEEDED, job.status(), job.toString());
        assertEquals(JobRecord.Type.RESTORE, job.type());
        assertEquals("schedule", job.trigger());
        assertEquals(newest, job.filename());
        assertEquals("Database restored successfully from backup: " + newest, job.message());
        String sha256 = Hashes.hex(Hashes.sha256(script.getBytes(StandardCharsets.UTF_8)));
        assertTrue(job.details().contains("sanitised by ssm:" + e.staging.env.get("SANITIZE_SCRIPT_PARAMETER")
                + " (sha256 " + sha256 + ")"), job.details());
        assertTrue(job.timings().containsKey("analyze"), job.timings().toString());
        stagingHoldsProductionsNewestRowsMaskedAndAnalysed(e);
        JobRecord safety = theSafetyBackupAndTheWayBackAreKept(e, jobId);
        auditAndEventsNameTheSchedule(e, inbox, jobId, safety);

        // a repeated delivery of the same execution runs nothing
        assertEquals("IGNORED", e.refresh(executionId).get("status"));
        assertEquals(2, e.stagingJobs().size());
    }

    /** Production's newest rows, masked, analysed, in staging's place. */
    private static void stagingHoldsProductionsNewestRowsMaskedAndAnalysed(Environments e) {
        assertEquals(MASKED_FIRST, e.firstCustomer());
        assertEquals(List.of("301", "0", "0"), e.pg.query(e.stagingDb, "select count(*) from orders union all select "
                + "count(*) from sessions union all select count(*) from customers where email not like "
                + "'%@example.invalid'"));
        assertTrue(e.pg.query(e.stagingDb, "select db from sanitized_in").get(0).contains("_restore_"));
        assertEquals(List.of("0"), e.pg.query(e.stagingDb, "select count(*) from pg_stat_user_tables where "
                + "last_analyze is null"));
        assertTrue(Integer.parseInt(e.pg.query(e.stagingDb, "select count(*) from pg_stats where schemaname = 'public' "
                + "and tablename = 'customers'").get(0)) > 0);
    }

    /** Staging's safety backup (taken by the schedule before the restore, an on-demand backup) and the copy of staging as it was. */
    private static JobRecord theSafetyBackupAndTheWayBackAreKept(Environments e, String jobId) {
        JobRecord safety = e.stagingJobs().stream().filter(j -> j.type() == JobRecord.Type.BACKUP).findFirst()
                .orElseThrow();
        assertEquals(JobRecord.Status.SUCCEEDED, safety.status(), safety.toString());
        assertEquals("refresh", safety.trigger());
        assertEquals(List.of("pgbackup/manifests/pharmatracker-staging/" + safety.filename() + ".on-demand.json"),
                e.keys("pgbackup/manifests/pharmatracker-staging/" + safety.filename() + ".on-demand"));
        LastRestore changed = new dev.pgbackup.common.storage.Records(e.staging.wiring.objects)
                .read(e.staging.wiring.keys.lastRestore(), LastRestore.class).orElseThrow();
        assertEquals(jobId, changed.jobId());
        List<String> copies = e.pg.databases(e.stagingDb + "_pre_restore_");
        assertEquals(1, copies.size());
        assertEquals(e.stagingBefore, e.pg.snapshot(copies.get(0)), "the way back: staging as it was");
        assertEquals(List.of(), e.keys("pgbackup/locks/"));
        return safety;
    }

    /** The same audit and events as any restore, the trigger saying who started it. */
    private static void auditAndEventsNameTheSchedule(Environments e, EventInbox inbox, String jobId,
            JobRecord safety) {
        String audit = e.staging.audit();
        assertTrue(audit.lines().anyMatch(l -> l.contains("\"action\":\"restore.refresh\"")
                && l.contains("\"safetyBackup\":\"" + safety.filename() + "\"")
                && l.contains("\"result\":\"STARTED\"")),
                audit);
        assertTrue(audit.lines().anyMatch(l -> l.contains("\"action\":\"restore.job\"") && l.contains("\"trigger\":"
                + "\"schedule\"") && l.contains("\"result\":\"SUCCEEDED\"")), audit);
        List<JsonNode> events = inbox.events();
        assertTrue(events.stream().anyMatch(ev -> "Restore Succeeded".equals(ev.path("detail-type").asText())
                && "schedule".equals(ev.path("detail").path("trigger").asText())
                && jobId.equals(ev.path("detail").path("jobId").asText())), events.toString());
        assertTrue(events.stream().anyMatch(ev -> "Backup Succeeded".equals(ev.path("detail-type").asText())),
                events.toString());
        assertFalse(audit.contains("example.invalid"), "the script's text is never logged");
    }

    @Test
    void aFailingScriptLeavesStagingAsItWas() {
        Environments e = new Environments(Map.of("REFRESH_SOURCE_ENVIRONMENT", "production",
                "SANITIZE_SCRIPT_PARAMETER", putScript("UPDATE customers SET email = 'x' || id;\nUPDATE cusomers SET "
                        + "phone = null;\n")));
        e.backUpProduction();

        Map<String, Object> started = e.refresh(UUID.randomUUID().toString());

        JobRecord job = e.job((String) started.get("jobId"));
        assertEquals(JobRecord.Status.FAILED, job.status());
        assertTrue(job.message().contains("failed with SQLSTATE 42P01 (a table that does not exist) (the restored "
                + "database is dropped). The database '" + e.stagingDb + "' was not changed"), job.message());
        assertEquals(e.stagingBefore, e.pg.snapshot(e.stagingDb), "staging exactly as it was");
        assertEquals(List.of(), e.pg.databases(e.stagingDb + "_"), "the new database was dropped");
        assertEquals(List.of(), e.keys("pgbackup/locks/"));
        assertEquals(List.of(), e.keys("pgbackup/state/pharmatracker-staging/last-restore.json"));
    }

    @Test
    void withoutACompleteBackupOfTheSourceNothingRunsAndWithoutASourceNothingIsRefreshed() {
        Environments e = new Environments(Map.of("REFRESH_SOURCE_ENVIRONMENT", "production"));
        e.production.s3.putObject(b -> b.bucket(e.bucket).key(dev.pgbackup.testsupport.BackupFiles.name("production",
                e.clock.instant())), RequestBody.fromString("PGDMP unrecorded"));

        Map<String, Object> started = e.refresh(UUID.randomUUID().toString());

        assertEquals("FAILED", started.get("status"));
        assertEquals("Refresh failed: there is no complete backup of 'production' to restore; nothing was changed",
                started.get("message"));
        assertEquals(List.of(JobRecord.Type.RESTORE), e.stagingJobs().stream().map(JobRecord::type).toList(),
                "no safety backup either");
        assertEquals(List.of(), e.keys("pgbackup/locks/"));
        assertEquals(e.stagingBefore, e.pg.snapshot(e.stagingDb));

        TestStack off = TestStack.create("staging", e.bucket, e.stagingDb, Map.of(), e.clock);
        assertEquals("IGNORED", off.handler(BackupWorkerHandler.class).handleRequest(schedule(RefreshStarter.detail()),
                new TestContext(Duration.ofMinutes(1))).get("status"));
    }
}
