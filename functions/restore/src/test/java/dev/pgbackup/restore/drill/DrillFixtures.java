package dev.pgbackup.restore.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.restore.CreatedDatabases;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;

/**
 * The drills' shared ground: a staging stack with its own bucket and database, its backups, the drill function
 * run as the schedule runs it, and what a clean drill leaves behind.
 */
abstract class DrillFixtures {
    static final String ORDERS = "300";
    static final Map<String, Long> COUNTS = Map.of("public.customers", 200L, "public.orders", 300L,
            "public.readings_2025", 100L, "public.readings_2026", 50L);
    static final Duration LONG = Duration.ofMinutes(15);
    static TestPostgres pg;

    @BeforeAll
    static void server() {
        pg = TestPostgres.get();
    }

    /** A staging stack with its own bucket and database (4 tables with rows, one partitioned table). */
    static final class Fixture {
        final TestStack stack;
        final String db;
        final Map<String, List<String>> before;
        final String production = BackupFiles.name("production", Instant.now());

        Fixture(Map<String, String> overrides) {
            String bucket = "drill-" + UUID.randomUUID().toString().substring(0, 8);
            TestStack.createBucket(bucket);
            db = "drill_" + UUID.randomUUID().toString().substring(0, 8);
            pg.createDatabase(db);
            SeedData.seed(pg, db, Integer.parseInt(ORDERS), "staging-data");
            pg.execute(db, """
                    set role app_owner;
                    create table readings (id int, at date not null) partition by range (at);
                    create table readings_2025 partition of readings for values from ('2025-01-01') to ('2026-01-01');
                    create table readings_2026 partition of readings for values from ('2026-01-01') to ('2027-01-01');
                    insert into readings select g, date '2025-03-01' from generate_series(1, 100) g;
                    insert into readings select g, date '2026-03-01' from generate_series(1, 50) g;
                    """);
            stack = TestStack.create("staging", bucket, db, new HashMap<>(overrides));
            // another environment's newer backup in the same bucket: never this environment's drill
            BackupFiles.upload(stack.s3, bucket, production, "not a staging backup".getBytes());
            before = pg.snapshot(db);
        }

        Fixture() {
            this(Map.of());
        }

        /** A backup of the staging database as it is now, named {@code when}, with its manifest. */
        String backUp(Instant when, byte[] archive, String sha256, Map<String, Long> counts) {
            String name = BackupFiles.name("staging", when);
            BackupFiles.upload(stack.s3, stack.bucket, name, archive);
            if (sha256 != null) {
                new Records(stack.wiring.objects).write(stack.wiring.keys.manifest(name, BackupClass.SCHEDULED),
                        new Manifest(name, "staging", BackupClass.SCHEDULED, UUID.randomUUID().toString(), when, when,
                                archive.length, sha256, "16", "16", "zstd:1", null).withRowCounts(counts));
            }
            return name;
        }

        String goodBackup() {
            byte[] dump = BackupFiles.dump(pg, db);
            return backUp(Instant.now().minus(Duration.ofMinutes(10)), dump, sha256(dump), COUNTS);
        }

        Map<String, Object> drill(Map<String, Object> event) {
            return stack.handler(RestoreDrillHandler.class).handleRequest(event, new TestContext(LONG));
        }

        Map<String, Object> drill() {
            return drill(scheduledEvent());
        }

        JobRecord job(Map<String, Object> result) {
            return stack.wiring.jobs.find((String) result.get("jobId")).orElseThrow();
        }

        List<String> keys(String prefix) {
            return stack.keys(prefix);
        }

        String raw(String prefix) {
            return stack.raw(prefix);
        }

        /** The scratch database is gone, the staging database is as it was, the lock is free, no secret showed. */
        void assertCleanAndUntouched() {
            assertEquals(List.of(), pg.databases(db + "_"), "no scratch database left");
            assertEquals(before, pg.snapshot(db), "the environment's database is unchanged");
            assertEquals(List.of(), keys("pgbackup/locks/"), "the drill lock is released");
            String everything = stack.audit() + raw("pgbackup/jobs/");
            assertFalse(everything.contains(TestPostgres.APP_PASSWORD), "the database password leaked");
        }

        void assertFailedWith(Map<String, Object> result, String message) {
            assertEquals("FAILED", result.get("status"), result::toString);
            assertEquals(message, result.get("message"));
            JobRecord job = job(result);
            assertEquals(JobRecord.Type.DRILL, job.type());
            assertEquals(JobRecord.Status.FAILED, job.status());
            assertEquals(message, job.message());
            assertTrue(stack.audit().contains("\"Environment\":\"staging\",\"DrillFailed\":1"), stack.audit());
            assertFalse(stack.audit().contains("DrillSucceeded"), stack.audit());
            assertEquals(List.of(), keys(stack.wiring.keys.lastDrill()), "no successful drill recorded");
            assertCleanAndUntouched();
        }
    }

    /** What EventBridge Scheduler sends the drill function (events/restore-drill.json), with a new execution id. */
    static Map<String, Object> scheduledEvent() {
        try {
            Map<String, Object> event = Json.MAPPER.readValue(RepoPaths.root().resolve("events/restore-drill.json")
                    .toFile(), new TypeReference<Map<String, Object>>() {});
            event.put("id", UUID.randomUUID().toString());
            return event;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String passed(String filename, String server, String counts) {
        return "Restore drill passed: restored " + filename + " into a scratch database on " + server
                + ": 5 tables, " + counts + ", \\d+\\.\\d s; dropped";
    }

    static CreatedDatabases journal(Fixture f, Instant now) {
        return new CreatedDatabases(f.stack.wiring.objects, f.stack.wiring.keys, Clock.fixed(now, ZoneOffset.UTC));
    }

    static long oid(String database) {
        return TestPostgres.get().databaseOid(database);
    }

    static void putParameter(String name, String value) {
        try (var ssm = new dev.pgbackup.common.AwsClients(java.util.Optional.of(
                dev.pgbackup.testsupport.MotoServer.get().endpoint()), true).ssm()) {
            ssm.putParameter(b -> b.name(name).value(value)
                    .type(software.amazon.awssdk.services.ssm.model.ParameterType.SECURE_STRING).overwrite(true));
        }
    }

    static String sha256(byte[] bytes) {
        return dev.pgbackup.common.Hashes.hex(dev.pgbackup.common.Hashes.newSha256().digest(bytes));
    }
}
