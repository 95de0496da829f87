package dev.pgbackup.restore.drill;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Restore drills that fail, against the same real PostgreSQL, pg_restore and moto as {@link RestoreDrillIT}: a
 * damaged archive, wrong row counts, a missing table, a deadline, no backup at all; each one drops its scratch
 * database and leaves the environment's database untouched.
 */
class RestoreDrillFailuresIT extends DrillFixtures {
    // ---------------------------------------------------------------- drills that fail

    @Test
    void aBackupTruncatedInItsDataFailsInPgRestoreAndItsScratchDatabaseIsDropped() {
        Fixture f = new Fixture();
        byte[] dump = BackupFiles.dump(pg, f.db);
        String name = f.backUp(Instant.now(), Arrays.copyOf(dump, dump.length / 2), null, null);

        Map<String, Object> result = f.drill();

        String message = (String) result.get("message");
        assertTrue(message.startsWith("Restore drill failed: pg_restore exited with code 1: "), message);
        assertTrue(message.endsWith(" (backup " + name + "); the scratch database was dropped"), message);
        f.assertFailedWith(result, message);
        assertTrue(f.job(result).diagnostic() != null && !f.job(result).diagnostic().isBlank());
    }

    @Test
    void aBackupTruncatedInItsTableOfContentsFailsBeforeAnyDatabaseIsCreated() {
        Fixture f = new Fixture();
        String name = f.backUp(Instant.now(), Arrays.copyOf(BackupFiles.dump(pg, f.db), 1500), null, null);

        Map<String, Object> result = f.drill();

        String message = (String) result.get("message");
        assertTrue(message.startsWith("Restore drill failed: Backup file " + name + " cannot be read by pg_restore "),
                message);
        assertTrue(message.endsWith(" (backup " + name + "); no scratch database was created"), message);
        f.assertFailedWith(result, message);
    }

    @Test
    void aFlippedByteFailsOnTheChecksumRecordedWhenTheBackupWasWritten() {
        Fixture f = new Fixture();
        byte[] dump = BackupFiles.dump(pg, f.db);
        // a letter of the database name in the archive's header: pg_restore reads it happily, the checksum does not
        byte[] flipped = dump.clone();
        int at = new String(dump, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf(f.db);
        assertTrue(at > 0);
        flipped[at] ^= 0x20;
        String name = f.backUp(Instant.now(), flipped, sha256(dump), COUNTS);

        Map<String, Object> result = f.drill();

        f.assertFailedWith(result, "Restore drill failed: backup file " + name + " does not match the checksum "
                + "recorded when it was written (SHA-256 " + sha256(dump) + ", " + dump.length + " bytes); "
                + "it was changed or damaged in storage (backup " + name + "); the scratch database was dropped");
    }

    @Test
    void rowCountsThatDifferFromTheRecordedOnesFailNamingEachTable() {
        Fixture f = new Fixture();
        byte[] dump = BackupFiles.dump(pg, f.db);
        Map<String, Long> tampered = new LinkedHashMap<>(COUNTS);
        tampered.put("public.orders", 301L);
        tampered.put("public.ghost", 5L);
        String name = f.backUp(Instant.now(), dump, sha256(dump), tampered);

        Map<String, Object> result = f.drill();

        f.assertFailedWith(result, "Restore drill failed: row counts differ from what the backup recorded: "
                + "public.ghost is missing (the backup recorded 5 rows), public.orders has 300 rows, the backup "
                + "recorded 301 (backup " + name + "); the scratch database was dropped");
    }

    @Test
    void aTableOfTheArchiveMissingAfterTheRestoreFailsTheDrill() {
        // pg_restore succeeds, then a table vanishes from the scratch database before the checks
        Path tools = FakeTools.wrapping("pg_restore", """
                "$REAL" "$@" || exit $?
                for a in "$@"; do case "$a" in --dbname=*) db="${a#--dbname=}";; esac; done
                if [ -n "$db" ]; then "$ROOT/bin/psql" -X -q -d "$db" -c 'drop table readings_2026'; fi
                """);
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));
        String name = f.goodBackup();

        Map<String, Object> result = f.drill();

        f.assertFailedWith(result, "Restore drill failed: the restored database lacks 1 of the archive's 5 tables: "
                + "TABLE public readings_2026 (backup " + name + "); the scratch database was dropped");
    }

    @Test
    void aDrillWhoseTimeRunsOutBeforeItsChecksStillDropsItsScratchDatabase() throws Exception {
        // the restore finishes, then waits for the test: the test moves the drill's clock past its deadline first
        Path tools = FakeTools.wrapping("pg_restore", """
                "$REAL" "$@"; code=$?
                case "$*" in *--dbname=*) touch "$ROOT/restored"; while [ ! -e "$ROOT/go" ]; do sleep 0.05; done;; esac
                exit $code
                """);
        Fixture f = new Fixture(Map.of("PG_TOOLS_DIR", tools.toString()));
        String name = f.goodBackup();

        CompletableFuture<Map<String, Object>> running = CompletableFuture.supplyAsync(f::drill);
        Waits.until(Duration.ofMinutes(2), "the restore", () -> Files.exists(tools.resolve("restored")));
        f.stack.ticker.advance(LONG);
        Files.createFile(tools.resolve("go"));
        Map<String, Object> result = running.get(2, TimeUnit.MINUTES);

        f.assertFailedWith(result, "Restore drill failed: the drill's time ran out before the restored database could "
                + "be checked (backup " + name + "); the scratch database was dropped");
    }

    @Test
    void withoutABackupOfThisEnvironmentTheDrillFailsClearly() {
        Fixture f = new Fixture(); // the bucket holds production's backup only

        Map<String, Object> result = f.drill();

        f.assertFailedWith(result, "Restore drill failed: there is no backup of 'staging' to restore");
        assertNull(f.job(result).filename());
    }
}
