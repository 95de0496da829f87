package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Checksums and interrupted swaps: an archive that does not match its recorded checksum, or is replaced after its
 * check, never reaches the target; a swap interrupted between its renames is repaired by the next restore.
 */
class RestoreChecksumsIT extends RestoreFixtures {

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"swap", "in-place"})
    void anArchiveThatDoesNotMatchItsRecordedChecksumNeverReachesTheTarget(String mode) {
        Fixture f = new Fixture(Map.of("RESTORE_MODE", mode));
        byte[] tampered = productionDump.clone();
        tampered[tampered.length - 10] ^= 1; // a bit flipped near the end: still a readable archive, perhaps
        writeProductionManifest(f, f.productionBackup, sha256(tampered), tampered.length);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertTrue(message.contains("does not match the checksum recorded when it was written"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        f.assertNoLeftovers();

        writeProductionManifest(f, f.productionBackup, sha256(productionDump), productionDump.length);
        f.takeSafetyBackup();
        APIGatewayV2HTTPResponse good = f.restore(f.productionBackup);
        assertEquals(200, good.getStatusCode(), good.getBody());
        assertTrue(f.jobs().stream().anyMatch(j -> j.details() != null && j.details().contains("checksum verified")));
        assertEquals(productionSnapshot, pg.snapshot(f.target));
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"swap", "in-place"})
    void anArchiveReplacedAfterItsCheckIsNotRestored(String mode) {
        Fixture f = new Fixture(Map.of("RESTORE_MODE", mode));
        dev.pgbackup.common.Wiring w = f.stack.wiringOf(RestoreWorkerHandler.class);
        dev.pgbackup.common.storage.ArchiveStorage real = w.archives;
        dev.pgbackup.common.storage.ArchiveStorage replacing = replacingAfterItsCheck(real, mode, f);
        dev.pgbackup.common.Wiring wiring = new dev.pgbackup.common.Wiring(w.config, w.clock, w.ticker, w.audit,
                w.objects, replacing, w.secrets, () -> (fn, payload) -> {});
        Map<String, Object> result = new RestoreWorkerHandler(wiring).handleRequest(startJob(f, f.productionBackup),
                new TestContext(Duration.ofMinutes(15)));

        assertEquals("FAILED", result.get("status"), String.valueOf(result.get("message")));
        String message = (String) result.get("message");
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
    }

    /** Storage that lets the check read the archive, then replaces it (as a second writer would). */
    private static dev.pgbackup.common.storage.ArchiveStorage replacingAfterItsCheck(
            dev.pgbackup.common.storage.ArchiveStorage real, String mode, Fixture f) {
        java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
        return new dev.pgbackup.common.storage.ArchiveStorage() {
            @Override
            public Uploaded upload(String key, java.io.InputStream body, dev.pgbackup.common.time.Deadline deadline,
                    Runnable onFailure) throws IOException {
                return real.upload(key, body, deadline, onFailure);
            }

            @Override
            public Uploaded download(String key, String eTag, java.nio.file.Path file,
                    dev.pgbackup.common.time.Deadline deadline) throws IOException {
                replace(key); // between the check and the download: the pinned ETag no longer matches
                return real.download(key, eTag, file, deadline);
            }

            @Override
            public Reading open(String key, String eTag) {
                int n = opens.incrementAndGet();
                boolean swap = mode.equals("swap");
                if (swap && n == 2) {
                    replace(key); // between the --list check and the restore's read
                }
                Reading reading = real.open(key, eTag);
                if (swap || n != 1) {
                    return reading;
                }
                // in-place: once the whole-file check has read it, before the target is dropped
                return new Reading() {
                    @Override
                    public java.io.InputStream stream() {
                        return reading.stream();
                    }

                    @Override
                    public long length() {
                        return reading.length();
                    }

                    @Override
                    public void abort() {
                        reading.abort();
                    }

                    @Override
                    public void close() {
                        reading.close();
                        replace(key);
                    }
                };
            }

            private void replace(String key) {
                f.stack.s3.putObject(b -> b.bucket(f.stack.bucket).key(key), RequestBody.fromBytes(
                        BackupFiles.dump(pg, f.target)));
            }
        };
    }

    @Test
    void aSwapInterruptedBetweenItsRenamesIsRepairedByTheNextRestore() throws Exception {
        Fixture f = new Fixture();
        // what a worker killed between the two renames leaves: the target renamed away, the restored copy built
        String old = DatabaseNames.base(f.target) + "_pre_restore_20260101_000000";
        String fresh = DatabaseNames.base(f.target) + "_restore_20260101_000000";
        pg.admin(
                "alter database " + DatabaseNames.quoteIdent(f.target) + " rename to " + DatabaseNames.quoteIdent(old));
        pg.admin("create database " + DatabaseNames.quoteIdent(fresh) + " owner " + TestPostgres.APP_USER);
        // which the killed worker had journalled when it created it
        new CreatedDatabases(f.stack.wiring.objects, f.stack.wiring.keys, Clock.systemUTC()).add(fresh,
                pg.databaseOid(fresh), CreatedDatabases.Kind.RESTORING, f.target,
                "33333333-3333-3333-3333-333333333333");
        new dev.pgbackup.common.storage.Records(f.stack.wiring.objects).write(f.stack.wiring.keys.swapJournal(),
                Map.of("jobId", "33333333-3333-3333-3333-333333333333", "target", f.target, "fresh", fresh, "old", old,
                        "startedAt", Instant.now().toString()));
        assertFalse(pg.databaseExists(f.target));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        String details = f.jobs().get(0).details();
        assertTrue(details.contains("repaired the swap of job 33333333-3333-3333-3333-333333333333"), details);
        assertTrue(details.contains("dropped '" + fresh + "'"), details);
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        // the original came back under its name, then was kept as this restore's pre-restore copy
        List<String> copies = pg.databases(DatabaseNames.base(f.target) + "_pre_restore_");
        assertEquals(1, copies.size(), copies.toString());
        assertEquals(f.stagingSnapshot, pg.snapshot(copies.get(0)));
        assertFalse(f.keys("pgbackup/state/").contains(f.stack.wiring.keys.swapJournal()));
        f.assertNoLeftovers();
    }
}
