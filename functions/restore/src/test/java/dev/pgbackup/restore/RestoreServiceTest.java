package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.testsupport.InMemoryArchives;
import dev.pgbackup.testsupport.MovableTicker;
import dev.pgbackup.testsupport.UnitStack;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The restore core ({@link RestoreService} and its strategies) against storage and a server held in memory, on one
 * fixed clock: which databases the server holds afterwards, and the order of what was done to it.
 */
class RestoreServiceTest {
    static final String TARGET = "appdb";
    static final Instant T0 = UnitStack.T0;
    static final DatabaseNames NAMES = new DatabaseNames(TARGET);
    static final String FRESH = NAMES.restoring(T0, n -> false);
    static final String PRE = NAMES.preRestore(T0, n -> false);

    private final InMemoryRestoreServer server = new InMemoryRestoreServer().with(TARGET, "original");

    /** A stack of this environment with one backup (no manifest) planted an hour before T0; the clock stays at T0. */
    private static final class Stack {
        final UnitStack unit;
        final String backup;
        final RestoreService service;

        Stack(InMemoryRestoreServer server, Map<String, String> env) {
            Map<String, String> all = new java.util.HashMap<>(Map.of("RESTORE_JOBS", "1"));
            all.putAll(env);
            unit = UnitStack.create("staging", all);
            unit.secrets.put(unit.env.get("DB_URL_PARAMETER"), "postgresql://app:pw@db.example:5432/" + TARGET);
            backup = unit.plantBackup("staging", T0.minus(Duration.ofHours(1)));
            var w = unit.wiring;
            service = new RestoreService(w.config, w.objects, new InMemoryArchives(unit.objects), w.catalog, w.keys,
                    w.pgTools, w.databases::login, Path.of(System.getProperty("java.io.tmpdir")), unit.clock,
                    () -> {
                        throw new IllegalStateException("no archive here is encrypted");
                    }, FreeStorage.unchecked("not checked in unit tests"), w.secrets, w.audit, server);
        }

        RestoreService.Outcome run(String jobId, RestoreRequest request) {
            return service.run(jobId, backup, request, Deadline.in(new MovableTicker(), Duration.ofMinutes(15)),
                    dev.pgbackup.common.jobs.ProgressReporter.none());
        }

        List<CreatedDatabases.Entry> journal() {
            return new CreatedDatabases(unit.objects, unit.wiring.keys, unit.clock).all();
        }

        boolean swapJournalExists() {
            return unit.objects.text(unit.wiring.keys.swapJournal()).isPresent();
        }
    }

    private Stack stack() {
        return new Stack(server, Map.of());
    }

    @Test
    void aSwapReplacesTheTargetAndKeepsThePreRestoreCopy() {
        Stack s = stack();
        long originalOid = server.database(TARGET).orElseThrow().oid;

        RestoreService.Outcome outcome = s.run("job-1", RestoreRequest.REPLACE);

        assertEquals(Map.of(TARGET, InMemoryRestoreServer.restoredFrom(s.backup), PRE, "original"),
                server.contents());
        assertEquals(PRE, outcome.preRestoreCopy());
        assertTrue(outcome.preRestoreCopyKept());
        assertFalse(outcome.beside());
        assertEquals(List.of("check list", "open", "create " + FRESH, "skip commit flushes " + FRESH,
                "stream into " + FRESH, "analyze " + FRESH, "resume commit flushes " + FRESH,
                "carry settings " + TARGET + " to " + FRESH, "allow connections " + TARGET + " false",
                "terminate sessions " + TARGET, "rename " + TARGET + " to " + PRE, "rename " + FRESH + " to " + TARGET,
                "allow connections " + PRE + " true", "close"), server.operations());
        // the copy is journalled under its name with the original's OID; the restored one is no longer "being built"
        assertEquals(List.of(PRE + " " + originalOid + " PRE_RESTORE"), s.journal().stream()
                .map(e -> e.name() + " " + e.oid() + " " + e.kind()).toList());
        assertFalse(s.swapJournalExists());
        assertFalse(server.lockWaitLimited());
        assertTrue(server.database(TARGET).orElseThrow().allowConnections);
        assertFalse(server.database(TARGET).orElseThrow().commitFlushesSkipped);
    }

    @Test
    void withoutATargetTheRestoredDatabaseIsRenamedIntoPlaceAndNothingIsKept() {
        InMemoryRestoreServer empty = new InMemoryRestoreServer();
        Stack s = new Stack(empty, Map.of());

        RestoreService.Outcome outcome = s.run("job-1", RestoreRequest.REPLACE);

        assertEquals(Map.of(TARGET, InMemoryRestoreServer.restoredFrom(s.backup)), empty.contents());
        assertNull(outcome.preRestoreCopy());
        assertEquals(List.of("check list", "open", "create " + FRESH, "skip commit flushes " + FRESH,
                "stream into " + FRESH, "analyze " + FRESH, "resume commit flushes " + FRESH,
                "rename " + FRESH + " to " + TARGET, "close"), empty.operations());
        assertEquals(List.of(), s.journal());
    }

    @Test
    void aFailedFillLeavesTheTargetUntouchedAndDropsTheNewDatabase() {
        Stack s = stack();
        server.failAt("stream into");

        RestoreFailure f = assertThrows(RestoreFailure.class, () -> s.run("job-1", RestoreRequest.REPLACE));

        assertEquals(RestoreFailure.TargetState.UNCHANGED, f.state());
        assertTrue(f.getMessage().contains("pg_restore failed at 'stream into " + FRESH + "'"), f.getMessage());
        assertEquals(Map.of(TARGET, "original"), server.contents());
        assertEquals(List.of("check list", "open", "create " + FRESH, "skip commit flushes " + FRESH,
                "stream into " + FRESH, "drop " + FRESH, "close"), server.operations());
        assertEquals(List.of(), s.journal());
        assertFalse(s.swapJournalExists());
    }

    @Test
    void whenItsCommitsCannotBeMadeToWaitAgainTheNewDatabaseIsDroppedNotSwappedIn() {
        Stack s = stack();
        server.failAt("resume commit flushes");

        RestoreFailure f = assertThrows(RestoreFailure.class, () -> s.run("job-1", RestoreRequest.REPLACE));

        assertEquals(RestoreFailure.TargetState.UNCHANGED, f.state());
        assertEquals(Map.of(TARGET, "original"), server.contents());
        assertEquals(List.of("resume commit flushes " + FRESH, "drop " + FRESH, "close"),
                after("analyze " + FRESH, server.operations()));
        assertEquals(List.of(), s.journal());
    }

    @Test
    void theCommitSettingIsTakenBackWhileTheNewDatabaseIsStillOurs() {
        Stack s = stack();
        server.database(TARGET).orElseThrow().owner = "someone";

        s.run("job-1", RestoreRequest.REPLACE);

        assertEquals(List.of("resume commit flushes " + FRESH, "give " + FRESH + " to someone",
                "carry settings " + TARGET + " to " + FRESH),
                between("analyze " + FRESH, "allow connections " + TARGET + " false", server.operations()));
    }

    @Test
    void aCopyWhoseCommitsCannotBeMadeToWaitAgainIsDroppedNotKept() {
        Stack s = stack();
        server.failAt("resume commit flushes");

        assertThrows(RestoreFailure.class, () -> s.run("job-1", RestoreRequest.COPY));

        String copy = NAMES.copy(T0, n -> false);
        assertEquals(Map.of(TARGET, "original"), server.contents());
        assertEquals(List.of("resume commit flushes " + copy, "drop " + copy, "close"),
                after("analyze " + copy, server.operations()));
        assertEquals(List.of(), s.journal());
    }

    @Test
    void whenItsCommitsMustWaitTheRestoreGoesOnAndSaysSo() {
        Stack s = stack();
        server.failAt("skip commit flushes");

        RestoreService.Outcome outcome = s.run("job-1", RestoreRequest.REPLACE);

        assertEquals(InMemoryRestoreServer.restoredFrom(s.backup), server.contents().get(TARGET));
        assertFalse(server.operations().contains("resume commit flushes " + FRESH), server.operations().toString());
        assertTrue(outcome.notes().contains("the restore's commits waited for their WAL flush (synchronous_commit "
                + "could not be set on the new database)"), outcome.notes().toString());
    }

    @Test
    void aFailedSecondRenameIsUndoneSoTheTargetIsNeverMissing() {
        Stack s = stack();
        server.failAt("rename " + FRESH);

        RestoreFailure f = assertThrows(RestoreFailure.class, () -> s.run("job-1", RestoreRequest.REPLACE));

        assertEquals(RestoreFailure.TargetState.UNCHANGED, f.state());
        assertTrue(f.getMessage().contains("while swapping databases: failed at 'rename " + FRESH), f.getMessage());
        assertEquals(Map.of(TARGET, "original"), server.contents());
        assertEquals(List.of("rename " + TARGET + " to " + PRE, "rename " + FRESH + " to " + TARGET,
                "rename " + PRE + " to " + TARGET, "allow connections " + TARGET + " true", "drop " + FRESH, "close"),
                after("terminate sessions " + TARGET, server.operations()));
        assertTrue(server.database(TARGET).orElseThrow().allowConnections);
        assertEquals(List.of(), s.journal());
        assertFalse(s.swapJournalExists());
        assertFalse(server.lockWaitLimited());
    }

    @Test
    void whenTheUndoFailsTooTheJournalLetsTheNextRestorePutTheOriginalBack() {
        Stack s = stack();
        server.failAt("rename " + FRESH).failAt("rename " + PRE);

        RestoreFailure f = assertThrows(RestoreFailure.class, () -> s.run("job-1", RestoreRequest.REPLACE));

        assertEquals(RestoreFailure.TargetState.RENAMED_AWAY, f.state());
        assertEquals(Map.of(PRE, "original"), server.contents());
        assertTrue(s.swapJournalExists());
        assertEquals(List.of(), s.journal(),
                "the original under the copy's name is in no journal of created databases");

        s.run("job-2", RestoreRequest.REPLACE);

        assertEquals(List.of("rename " + PRE + " to " + TARGET, "allow connections " + TARGET + " true"),
                between("open", "create " + FRESH, after("close", server.operations())));
        assertEquals(Map.of(TARGET, InMemoryRestoreServer.restoredFrom(s.backup), PRE, "original"),
                server.contents());
        assertFalse(s.swapJournalExists());
    }

    @Test
    void aCopyIsRestoredBesideTheTargetWhichIsNotTouched() {
        Stack s = stack();

        RestoreService.Outcome outcome = s.run("job-1", RestoreRequest.COPY);

        String copy = NAMES.copy(T0, n -> false);
        assertEquals(copy, outcome.copy());
        assertTrue(outcome.beside());
        assertEquals(Map.of(TARGET, "original", copy, InMemoryRestoreServer.restoredFrom(s.backup)),
                server.contents());
        assertEquals(List.of("check list", "open", "create " + copy, "skip commit flushes " + copy,
                "stream into " + copy, "analyze " + copy, "resume commit flushes " + copy, "close"),
                server.operations());
        assertFalse(server.database(copy).orElseThrow().commitFlushesSkipped);
        assertEquals(List.of(copy + " COPY"), s.journal().stream().map(e -> e.name() + " " + e.kind()).toList());
    }

    @Test
    void inPlaceModeReadsTheWholeArchiveThenDropsAndRecreatesTheTarget() {
        Stack s = new Stack(server, Map.of("RESTORE_MODE", "in-place"));

        RestoreService.Outcome outcome = s.run("job-1", RestoreRequest.REPLACE);

        assertNull(outcome.preRestoreCopy());
        assertEquals(Map.of(TARGET, InMemoryRestoreServer.restoredFrom(s.backup)), server.contents());
        assertEquals(List.of("check whole file", "open", "allow connections " + TARGET + " false", "drop " + TARGET,
                "create " + TARGET, "stream into " + TARGET, "analyze " + TARGET, "close"), server.operations());
    }

    @Test
    void inPlaceModeSaysTheTargetIsGoneWhenTheRestoreFailsAfterTheDrop() {
        Stack s = new Stack(server, Map.of("RESTORE_MODE", "in-place"));
        server.failAt("stream into");

        RestoreFailure f = assertThrows(RestoreFailure.class, () -> s.run("job-1", RestoreRequest.REPLACE));

        assertEquals(RestoreFailure.TargetState.DROPPED, f.state());
        assertEquals(Map.of(TARGET, "empty"), server.contents());
    }

    @Test
    void aCopyIsNeverInPlaceWhateverTheMode() {
        Stack s = new Stack(server, Map.of("RESTORE_MODE", "in-place"));

        s.run("job-1", RestoreRequest.COPY);

        assertEquals("check list", server.operations().get(0));
        assertEquals("original", server.contents().get(TARGET));
    }

    @Test
    void aMissingBackupIsRefusedBeforeTheServerIsAsked() {
        Stack s = stack();

        Failure f = assertThrows(Failure.class, () -> s.service.run("job-1", "no-such-backup.dump",
                Deadline.in(new MovableTicker(), Duration.ofMinutes(15))));

        assertEquals("Backup file not found: no-such-backup.dump", f.getMessage());
        assertEquals(List.of(), server.operations());
    }

    @Test
    void aBackupWhoseSizeDiffersFromItsManifestIsRefusedBeforeTheServerIsAsked() {
        Stack s = stack();
        long size = s.unit.wiring.catalog.find(s.backup).orElseThrow().size();
        s.unit.wiring.catalog.writeManifest(new Manifest(s.backup, "staging", BackupClass.SCHEDULED, "backup-job",
                T0.minus(Duration.ofHours(1)), T0.minus(Duration.ofMinutes(59)), size + 1, null, "16.4", "16.4",
                "default", Map.of()));

        RestoreFailure f = assertThrows(RestoreFailure.class, () -> s.run("job-1", RestoreRequest.REPLACE));

        assertEquals(RestoreFailure.TargetState.UNCHANGED, f.state());
        assertTrue(f.getMessage().contains("has " + size + " bytes but " + (size + 1) + " were recorded"),
                f.getMessage());
        assertEquals(List.of(), server.operations());
        assertEquals(Map.of(TARGET, "original"), server.contents());
    }

    /** The operations after the first {@code marker} (exclusive). */
    private static List<String> after(String marker, List<String> operations) {
        int i = operations.indexOf(marker);
        assertTrue(i >= 0, marker + " not in " + operations);
        return operations.subList(i + 1, operations.size());
    }

    /** The operations strictly between the first {@code from} and the first {@code to} after it. */
    private static List<String> between(String from, String to, List<String> operations) {
        List<String> rest = after(from, operations);
        int end = rest.indexOf(to);
        assertTrue(end >= 0, to + " not in " + rest);
        return rest.subList(0, end);
    }
}
