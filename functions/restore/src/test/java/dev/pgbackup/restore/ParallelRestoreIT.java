package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FaultProxy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Parallel restores (RESTORE_JOBS=2): the archive downloaded, verified and restored with pg_restore --jobs, or
 * streamed when that is the better choice; a broken or mismatching download never reaches pg_restore and leaves
 * no file behind.
 */
class ParallelRestoreIT extends RestoreFixtures {

    // ---------------------------------------------------------------- parallel restores (download, --jobs)

    static final Map<String, String> PARALLEL = Map.of("RESTORE_JOBS", "2");

    /**
     * The downloads of this fixture's jobs still on disk. Only theirs count: /tmp is shared with whatever else runs on
     * the machine (another build, a benchmark, another CI run's parallel restores), whose files come and go at any
     * time, and a download's name starts with its job's id.
     */
    static List<Path> downloadsOf(Fixture f) throws IOException {
        List<String> prefixes = f.jobs().stream().map(j -> "restore-" + j.jobId() + "-").toList();
        if (prefixes.isEmpty()) {
            throw new IllegalStateException("no job whose downloads to look for");
        }
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(p -> prefixes.stream().anyMatch(p.getFileName().toString()::startsWith)
                    && p.getFileName().toString().endsWith(".dump")).toList();
        }
    }

    @Test
    void aParallelRestoreDownloadsVerifiesAndRestoresWithJobsRowForRow() throws Exception {
        Fixture f = new Fixture(PARALLEL);
        writeProductionManifest(f, f.productionBackup, sha256(productionDump), productionDump.length);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        JobRecord job = f.jobs().get(0);
        assertTrue(job.details().contains("with 2 jobs from a downloaded copy"), job.details());
        assertTrue(job.details().contains("restore mode: 2 jobs as RESTORE_JOBS=2 asks (2 TABLE DATA, "),
                job.details());
        assertTrue(job.details().contains("checksum verified"), job.details());
        for (String step : List.of("plan", "check", "connect", "download", "pg_restore", "swap")) {
            assertTrue(job.timings().containsKey(step), step + " in " + job.timings());
        }
        assertEquals(List.of(), downloadsOf(f), "the downloaded copy is gone");
        // a table keeps the file it was created with unless truncated: pg_restore --jobs truncates the tables it
        // created itself before loading them, new files for nothing, so the schema is restored by a run of its own
        assertEquals(List.of("2"), pg.query(f.target, "select count(*) from pg_class where relkind = 'r' and "
                + "relnamespace = 'public'::regnamespace"));
        assertEquals(List.of(), pg.query(f.target, "select relname from pg_class where relkind = 'r' and relnamespace"
                + " = 'public'::regnamespace and relfilenode <> oid"), "tables given new files during the restore");
        f.assertNoLeftovers();
    }

    /**
     * Left to choose (RESTORE_JOBS=0), the worker streams an archive of two tables: too little independent work for
     * two jobs (or, on a one-vCPU machine, one job), and the job's details say why.
     */
    @Test
    void aRestoreLeftToChooseStreamsAnArchiveOfFewTablesAndSaysWhy() throws Exception {
        Fixture f = new Fixture(Map.of("RESTORE_JOBS", "0"));
        writeProductionManifest(f, f.productionBackup, sha256(productionDump), productionDump.length);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
        JobRecord job = f.jobs().get(0);
        assertTrue(job.details().contains("streamed from S3"), job.details());
        assertTrue(job.details()
                .contains("restore mode: streamed, 2 TABLE DATA, 2 INDEX, 3 CONSTRAINT, 1 FK CONSTRAINT "
                        + "entries are too little independent work for ")
                || job.details().contains("restore mode: streamed, the worker has one vCPU"), job.details());
        assertFalse(job.timings().containsKey("download"), job.timings().toString());
        f.assertNoLeftovers();
    }

    /** A 500 whose message starts as given and says the target was not changed, which it was not; nothing left. */
    static void assertFailedWithTargetUnchanged(Fixture f, APIGatewayV2HTTPResponse response, String start)
            throws Exception {
        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertTrue(message.startsWith(start), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), downloadsOf(f));
        f.assertNoLeftovers();
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"truncated in the data", "corrupt data block"})
    void aBrokenArchiveRestoredInParallelLeavesTheTargetAsItWas(String how) throws Exception {
        Fixture f = new Fixture(PARALLEL);
        String broken = BackupFiles.name("production", Instant.now().minus(Duration.ofHours(1)));
        BackupFiles.upload(f.stack.s3, f.stack.bucket, broken, corrupted(how));

        APIGatewayV2HTTPResponse response = f.restore(broken);

        assertFailedWithTargetUnchanged(f, response, "Restore failed: pg_restore exited with code 1: ");
    }

    @Test
    void aDownloadThatDoesNotMatchTheRecordedChecksumNeverReachesPgRestore() throws Exception {
        Fixture f = new Fixture(PARALLEL);
        byte[] other = productionDump.clone();
        other[other.length / 3] ^= 1;
        writeProductionManifest(f, f.productionBackup, sha256(other), productionDump.length);

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertTrue(message.contains("does not match the checksum recorded when it was written"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        f.assertNoLeftovers();
    }

    @Test
    void s3FailingDuringTheDownloadLeavesTheTargetAndNoFile() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(dev.pgbackup.testsupport.MotoServer.get().endpoint())) {
            Fixture f = new Fixture(PARALLEL, Clock.systemUTC(), true, null, proxy.endpoint());
            // the --list check reads it once; every read of the download fails
            FaultProxy.Rule cut = proxy
                    .when(FaultProxy.s3("GET", java.util.regex.Pattern.quote(f.productionBackup), null))
                    .afterPasses(1).respondS3Error(500, "InternalError", "simulated");

            APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

            assertTrue(cut.injected() >= 1);
            assertFailedWithTargetUnchanged(f, response, "Restore failed: reading the backup from S3 failed");
        }
    }
}
