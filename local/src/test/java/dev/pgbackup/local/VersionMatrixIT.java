package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every PostgreSQL major RDS users run (14 to 18, embedded servers from Maven Central) against the layer's
 * tools: a backup through the product and a restore, equal table by table; and the cross-major restores an
 * operator does, each either equal or refused before anything is touched, naming both versions.
 */
class VersionMatrixIT {
    static final int[] MAJORS = {14, 15, 16, 17, 18};
    static final String SOURCE = "matrix_source";
    static final Map<Integer, TestPostgres> servers = new TreeMap<>();

    @BeforeAll
    static void startServers() {
        for (int major : MAJORS) {
            TestPostgres pg = TestPostgres.start(RepoPaths.root().resolve("local/target/pg-servers/" + major + ".jar"));
            assertEquals(major, pg.serverMajor());
            pg.createDatabase(SOURCE);
            SeedData.seed(pg, SOURCE, 400, "major-" + major);
            servers.put(major, pg);
        }
    }

    @AfterAll
    static void stopServers() {
        servers.values().forEach(TestPostgres::stop);
    }

    /** A stack of {@code environment} whose database is {@code database} on the server of {@code major}. */
    static TestStack stack(String bucket, String environment, int major, String database) {
        return stack(bucket, environment, major, database, Map.of());
    }

    static TestStack stack(String bucket, String environment, int major, String database, Map<String, String> more) {
        Map<String, String> settings = new java.util.HashMap<>(Map.of("RECENT_BACKUP_MINUTES", "30"));
        settings.putAll(more);
        TestStack stack = TestStack.create(environment, bucket, database, settings);
        stack.putParameters(servers.get(major).url(database));
        return stack;
    }

    /** Production, deployed after staging with staging's restore roles as readers of its key (docs/deploy.md). */
    static TestStack production(String bucket, int major, TestStack staging) {
        return stack(bucket, "production", major, SOURCE, Map.of("BackupKeyReaderRoleArns", staging.restoreRoles()));
    }

    static Map<String, Object> backup(TestStack stack) {
        Map<String, Object> result = stack.handler(BackupWorkerHandler.class)
                .handleRequest(Map.of("source", "aws.events",
                        "detail-type", "Scheduled Event", "id", UUID.randomUUID().toString()),
                        new TestContext(Duration.ofMinutes(10)));
        assertEquals("SUCCEEDED", result.get("status"), () -> stack.environment + ": " + result.get("message"));
        return result;
    }

    static Map<String, Object> restore(TestStack stack, String filename) {
        String jobId = JobStore.newJobId();
        assertTrue(stack.wiring.restoreLock().acquire(jobId, "ops", filename).acquired());
        stack.wiring.jobs.save(JobRecord.started(jobId, JobRecord.Type.RESTORE, stack.environment, filename, "ops",
                "api", Instant.now()));
        return stack.handler(RestoreWorkerHandler.class)
                .handleRequest(new WorkerPayload(jobId, stack.environment, filename,
                        "SWAP").toMap(), new TestContext(Duration.ofMinutes(10)));
    }

    /** The rows and sequences (view and function text is formatted by each major its own way). */
    static Map<String, List<String>> data(TestPostgres pg, String database) {
        Map<String, List<String>> data = new LinkedHashMap<>();
        pg.snapshot(database).forEach((k, v) -> {
            if (k.startsWith("table ") || k.startsWith("sequence ")) {
                data.put(k, v);
            }
        });
        return data;
    }

    static String newBucket() {
        String bucket = "matrix-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        return bucket;
    }

    @ParameterizedTest(name = "PostgreSQL {0}: pg_dump {1}")
    @CsvSource({"14, 16", "15, 16", "16, 16", "17, 18", "18, 18"})
    void eachMajorBacksUpWithZstdAndRestoresRowForRow(int major, int pgDumpMajor) {
        TestPostgres pg = servers.get(major);
        String bucket = newBucket();
        String target = "matrix_target_" + UUID.randomUUID().toString().substring(0, 6);
        pg.createDatabase(target);
        TestStack staging = stack(bucket, "staging", major, target);
        TestStack production = production(bucket, major, staging);

        Map<String, Object> done = backup(production);

        String filename = (String) done.get("filename");
        Manifest manifest = production.wiring.catalog.manifest(production.wiring.catalog.find(filename).orElseThrow())
                .orElseThrow();
        assertTrue(manifest.pgDumpVersion().startsWith(pgDumpMajor + "."), manifest.pgDumpVersion());
        assertTrue(manifest.serverVersion().startsWith(major + "."), manifest.serverVersion());
        assertEquals("zstd:3", manifest.compression());
        backup(staging); // the safety backup of the target

        Map<String, Object> restored = restore(staging, filename);

        assertEquals("SUCCEEDED", restored.get("status"), String.valueOf(restored.get("message")));
        assertEquals(pg.snapshot(SOURCE), pg.snapshot(target), "everything back: rows, sequences, views, functions");
    }

    @ParameterizedTest(name = "PostgreSQL {0} into PostgreSQL {1}")
    @CsvSource({"16, 18", "18, 17", "14, 16", "15, 18"})
    void crossMajorRestoresThatWorkGiveTheSameRows(int from, int into) {
        String bucket = newBucket();
        TestPostgres target = servers.get(into);
        String database = "cross_" + UUID.randomUUID().toString().substring(0, 6);
        target.createDatabase(database);
        TestStack staging = stack(bucket, "staging", into, database);
        String filename = (String) backup(production(bucket, from, staging)).get("filename");
        backup(staging);

        Map<String, Object> restored = restore(staging, filename);

        assertEquals("SUCCEEDED", restored.get("status"), String.valueOf(restored.get("message")));
        assertEquals(data(servers.get(from), SOURCE), data(target, database));
    }

    @Test
    void productionOnSeventeenIntoStagingOnSixteenIsRefusedBeforeAnythingIsTouched() {
        String bucket = newBucket();
        TestPostgres sixteen = servers.get(16);
        String database = "refused_" + UUID.randomUUID().toString().substring(0, 6);
        sixteen.createDatabase(database);
        SeedData.seed(sixteen, database, 50, "staging");
        TestStack staging = stack(bucket, "staging", 16, database);
        String filename = (String) backup(production(bucket, 17, staging)).get("filename");
        Map<String, List<String>> before = sixteen.snapshot(database);
        backup(staging);

        Map<String, Object> refused = restore(staging, filename);

        assertEquals("FAILED", refused.get("status"));
        String message = (String) refused.get("message");
        assertTrue(message.startsWith("Restore refused: The backup was written by pg_dump 18."), message);
        assertTrue(message.contains("this database server (PostgreSQL 16)"), message);
        assertTrue(message.endsWith("The database '" + database + "' was not changed"), message);
        assertEquals(before, sixteen.snapshot(database));
        assertEquals(List.of(), sixteen.databases(database + "_"));
    }
}
