package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.FaultProxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A restore that fails (a broken archive, the server refusing, S3 failing while pg_restore reads) leaves the
 * target exactly as it was in swap mode, and says plainly what is gone in in-place mode.
 */
class RestoreFailuresIT extends RestoreFixtures {

    static Stream<Arguments> brokenArchives() {
        List<Arguments> cases = new ArrayList<>();
        for (String mode : List.of("swap", "in-place")) {
            cases.add(Arguments.of(mode, "not an archive", "cannot be read by pg_restore"));
            cases.add(Arguments.of(mode, "truncated in the header", "cannot be read by pg_restore"));
            cases.add(Arguments.of(mode, "truncated in the table of contents", "cannot be read by pg_restore"));
            // swap mode finds these in the restore itself (into the new database); in-place mode reads the
            // whole file before it drops anything
            cases.add(Arguments.of(mode, "truncated in the data",
                    mode.equals("swap") ? "pg_restore exited with code 1" : "cannot be read by pg_restore"));
            cases.add(Arguments.of(mode, "corrupt data block",
                    mode.equals("swap") ? "pg_restore exited with code 1" : "cannot be read by pg_restore"));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("brokenArchives")
    void aBrokenArchiveFailsAndLeavesTheTargetExactlyAsItWas(String mode, String how, String expectedMessage) {
        Fixture f = new Fixture(Map.of("RESTORE_MODE", mode));
        String broken = BackupFiles.name("production", Instant.now().minus(Duration.ofHours(1)));
        BackupFiles.upload(f.stack.s3, f.stack.bucket, broken, corrupted(how));

        APIGatewayV2HTTPResponse response = f.restore(broken);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertEquals(false, bodyOf(response).get("success"));
        assertTrue(message.contains(expectedMessage), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertTrue(allowsConnections(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"), "no half-built or renamed database left");
        f.assertNoLeftovers();
        List<JobRecord> jobs = f.jobs();
        assertEquals(1, jobs.size());
        assertEquals(JobRecord.Status.FAILED, jobs.get(0).status());
        assertEquals(message, jobs.get(0).message());
        assertTrue(f.stack.audit().contains("\"result\":\"FAILED\""), f.stack.audit());
        f.assertNoSecretsLeaked();

        // the lock is free again: a good backup restores at once (after a new safety backup, as in-place mode
        // changed the database)
        f.takeSafetyBackup();
        APIGatewayV2HTTPResponse good = f.restore(f.productionBackup);
        assertEquals(200, good.getStatusCode(), good.getBody());
        assertEquals(productionSnapshot, pg.snapshot(f.target));
    }

    @Test
    void aRestoreFailingOnTheServerLeavesTheTargetUntouchedInSwapMode() {
        // a readable archive whose restore fails (as when the server rejects a statement)
        Path tools = FakeTools.wrapping("pg_restore", "for a in \"$@\"; do case \"$a\" in --dbname=*) "
                + "echo 'pg_restore: error: could not execute query: ERROR:  simulated failure' >&2; exit 1;; esac; done\n"
                + "exec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        String jobId = (String) bodyOf(response).get("jobId");
        assertEquals("Restore failed: pg_restore exited with code 1: the server rejected a statement of the archive "
                + "(details in job " + jobId + "). The database '" + f.target + "' was not changed", message);
        // what the server said can quote row values: it stays in the record and the log, out of the answer
        assertTrue(f.jobs().get(0).diagnostic().contains("simulated failure"), f.jobs().get(0).diagnostic());
        assertTrue(f.stack.audit().contains("simulated failure"));
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"));
        f.assertNoLeftovers();
    }

    @Test
    void inPlaceModeSaysPlainlyThatTheDatabaseIsGoneWhenTheRestoreFailsAfterTheDrop() {
        Path tools = FakeTools.wrapping("pg_restore", "for a in \"$@\"; do case \"$a\" in --dbname=*) "
                + "echo 'pg_restore: error: could not execute query: ERROR:  simulated failure' >&2; exit 1;; esac; done\n"
                + "exec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString(), "RESTORE_MODE", "in-place"));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertTrue(message.startsWith("Restore failed: pg_restore exited with code 1"), message);
        assertTrue(
                message.endsWith("In-place mode: the database '" + f.target + "' had already been dropped and is now "
                        + "empty or missing; restore another backup to recover"),
                message);
        assertFalse(message.contains("was not changed"), message);
        // the documented risk of this mode: an empty database (the reason swap is the default)
        assertEquals(List.of(), pg.query(f.target, "select tablename from pg_tables where schemaname = 'public'"));
        f.assertNoLeftovers();
    }

    @Test
    void inPlaceModeSaysTheDatabaseWasDroppedWhenS3FailsWhileTheRestoreReads() {
        try (FaultProxy proxy = FaultProxy.start(dev.pgbackup.testsupport.MotoServer.get().endpoint())) {
            Fixture f = new Fixture(Map.of("RESTORE_MODE", "in-place"), Clock.systemUTC(), true, null,
                    proxy.endpoint());
            // the whole-file check reads it once; the restore's read, after the drop, is cut off mid-stream
            FaultProxy.Rule cut = proxy
                    .when(FaultProxy.s3("GET", java.util.regex.Pattern.quote(f.productionBackup), null))
                    .afterPasses(1).resetResponseAfter(200_000);

            APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

            assertEquals(500, response.getStatusCode(), response.getBody());
            assertEquals(1, cut.injected());
            String message = (String) bodyOf(response).get("message");
            assertTrue(message.startsWith("Restore failed: reading the backup from S3 failed"), message);
            assertTrue(
                    message.endsWith("In-place mode: the database '" + f.target + "' had already been dropped and is "
                            + "now empty or missing; restore another backup to recover"),
                    message);
            assertEquals(List.of(), pg.query(f.target, "select tablename from pg_tables where schemaname = 'public'"));
            f.assertNoLeftovers();
        }
    }

    @Test
    void inSwapModeS3FailingWhileTheRestoreReadsLeavesTheTargetAsItWas() {
        try (FaultProxy proxy = FaultProxy.start(dev.pgbackup.testsupport.MotoServer.get().endpoint())) {
            Fixture f = new Fixture(Map.of(), Clock.systemUTC(), true, null, proxy.endpoint());
            FaultProxy.Rule cut = proxy
                    .when(FaultProxy.s3("GET", java.util.regex.Pattern.quote(f.productionBackup), null))
                    .afterPasses(1).resetResponseAfter(200_000);

            APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

            assertEquals(500, response.getStatusCode(), response.getBody());
            assertEquals(1, cut.injected());
            String message = (String) bodyOf(response).get("message");
            assertTrue(message.startsWith("Restore failed: reading the backup from S3 failed"), message);
            assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
            assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
            assertEquals(List.of(), pg.databases(f.target + "_"));
            f.assertNoLeftovers();
        }
    }

    @Test
    void aPgRestoreThatExitsZeroWithoutReadingTheWholeBackupIsNotACheckedArchive() {
        // in-place mode trusts the whole-file check before it drops: exit 0 alone must not be enough
        Path tools = FakeTools.wrapping("pg_restore",
                "for a in \"$@\"; do if [ \"$a\" = --file=/dev/null ]; then exit 0; fi; done\nexec \"$REAL\" \"$@\"");
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString(), "RESTORE_MODE", "in-place"));

        APIGatewayV2HTTPResponse response = f.restore(f.productionBackup);

        assertEquals(500, response.getStatusCode(), response.getBody());
        String message = (String) bodyOf(response).get("message");
        assertTrue(message.contains("cannot be read by pg_restore"), message);
        // how much reached the pipe before the process was gone is up to the scheduler: anything short of the whole
        Matcher read = Pattern.compile("pg_restore ended after (\\d+) of the backup's "
                + productionDump.length + " bytes").matcher(message);
        assertTrue(read.find(), message);
        assertTrue(Long.parseLong(read.group(1)) < productionDump.length, message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        f.assertNoLeftovers();
    }
}
