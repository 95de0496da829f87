package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.local.DatabaseSecretIT.Db;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.TestSecrets;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The backup captures the roles on a thread of its own while it lists and locks the tables to count: a password
 * rotated while pg_dumpall runs, or before the counting transaction is opened, is read again once, and neither the
 * counts nor pg_dump lose by it. (Before
 * this test, such a backup failed: pg_dumpall says only "could not connect to database" when the database its -l
 * names refuses the password, so the refusal went unrecognised and the password was never read again.)
 */
class RolesCaptureRotationIT {
    @Test
    void aPasswordRotatedWhileTheRolesAreCapturedIsReadAgainOnceAndTheRowsAreStillCounted() throws Exception {
        Db db = DatabaseSecretIT.newDatabase();
        String arn = TestSecrets.create(db.secret());
        Path tools = DatabaseSecretIT.gatedFirstRun("pg_dumpall");
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            TestStack stack = DatabaseSecretIT.stack(arn, proxy.endpoint(), Map.of("PG_TOOLS_DIR", tools.toString()));
            CompletableFuture<Map<String, Object>> job = CompletableFuture
                    .supplyAsync(() -> DatabaseSecretIT.backup(stack));
            Waits.until(Duration.ofMinutes(2), "pg_dumpall's first run", () -> Files.exists(tools.resolve("started")));
            Db rotated = db.rotated();
            TestSecrets.rotate(arn, rotated.secret());
            Files.createFile(tools.resolve("go"));

            Map<String, Object> backup = job.get(5, TimeUnit.MINUTES);

            assertEquals("SUCCEEDED", backup.get("status"), () -> backup.get("message") + "; "
                    + stack.wiring.jobs.find((String) backup.get("jobId")).orElseThrow().diagnostic() + "; "
                    + DatabaseSecretIT.secretReads(proxy) + " secret reads");
            assertEquals(List.of("run", "run"), Files.readAllLines(tools.resolve("runs")));
            assertEquals(2, DatabaseSecretIT.secretReads(proxy), "the first read and one re-read, by the capture");
            BackupCatalog catalog = stack.wiring.catalog;
            BackupObject entry = catalog.find((String) backup.get("filename")).orElseThrow();
            Manifest manifest = catalog.manifest(entry).orElseThrow();
            assertNotNull(manifest.globals(), "the roles are recorded");
            assertEquals(Map.of("public.accounts", 3000L), catalog.rowCounts(entry, manifest).orElseThrow());
            DatabaseSecretIT.assertNoPassword(stack, List.of(backup), db.password(), rotated.password());
        }
    }

    /**
     * Rotated after the job's first connection and before the counting transaction is opened (the backup's name
     * check, between them, is held at the proxy): the counting's connection is refused and reads the password again,
     * before the capture starts beside it, which then connects with the new one. One re-read, and the rows counted.
     */
    @Test
    void aPasswordRotatedBeforeTheCountingSnapshotIsReadAgainThereOnce() throws Exception {
        Db db = DatabaseSecretIT.newDatabase();
        String arn = TestSecrets.create(db.secret());
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            CountDownLatch gate = new CountDownLatch(1);
            // the handler's own check of the name comes first; the service's, after the first connection, second
            FaultProxy.Rule nameCheck = proxy.when(FaultProxy.s3("HEAD", "pharmatracker-.*\\.dump", null))
                    .afterPasses(1).times(1).holdUntil(gate);
            TestStack stack = DatabaseSecretIT.stack(arn, proxy.endpoint(), Map.of());
            CompletableFuture<Map<String, Object>> job = CompletableFuture
                    .supplyAsync(() -> DatabaseSecretIT.backup(stack));
            Waits.until(Duration.ofMinutes(2), "the service's name check", () -> nameCheck.injected() > 0);
            Db rotated = db.rotated();
            TestSecrets.rotate(arn, rotated.secret());
            gate.countDown();

            Map<String, Object> backup = job.get(5, TimeUnit.MINUTES);

            assertEquals("SUCCEEDED", backup.get("status"), String.valueOf(backup.get("message")));
            assertEquals(2, DatabaseSecretIT.secretReads(proxy), "the first read and one re-read");
            BackupCatalog catalog = stack.wiring.catalog;
            BackupObject entry = catalog.find((String) backup.get("filename")).orElseThrow();
            Manifest manifest = catalog.manifest(entry).orElseThrow();
            assertEquals(Map.of("public.accounts", 3000L), catalog.rowCounts(entry, manifest).orElseThrow(),
                    "counted in the snapshot pg_dump dumped");
            DatabaseSecretIT.assertNoPassword(stack, List.of(backup), db.password(), rotated.password());
        }
    }
}
