package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.ProgressReporter;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.testsupport.InMemoryObjectStore;
import dev.pgbackup.testsupport.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A parallel restore's progress is of the entries its data and post-data run reports finished: all of them after the
 * archive's schema, or those a table-only restore's use-list names; "building indexes" comes once the data of every
 * table it restores is in. {@link ProgressReporter#close()} waits for the reporter's writes.
 */
class ParallelProgressTest {
    /** After the archive's schema: the data of tables a and b (10, 11), a's primary key, b's index. */
    static final DataOffsets.Sections ARCHIVE = new DataOffsets.Sections(Map.of(10, true, 11, true, 12, false,
            13, false));
    static final int ALL_ENTRIES = 40;

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T10:00:00Z"));
    final JobStore jobs = new JobStore(new Records(new InMemoryObjectStore("b", clock)),
            new StateKeys("app", "staging"), type -> Duration.ofMinutes(32), clock);
    final JobRecord job = JobRecord.started(JobStore.newJobId(), JobRecord.Type.RESTORE, "staging", "f.dump", "alice",
            "api", clock.instant());

    @TempDir
    Path dir;

    String phaseAfter(ParallelRestore.ItemProgress items, ProgressReporter progress, String... lines) {
        for (String line : lines) {
            items.accept(line);
        }
        progress.close();
        return jobs.find(job.jobId()).orElseThrow().progress().phase();
    }

    @Test
    void aTableOnlyRestoreCountsWhatItsListNamesAndBuildsIndexesOnceItsTablesDataIsIn() throws Exception {
        jobs.save(job);
        ProgressReporter progress = new ProgressReporter(jobs, job, clock);
        progress.phase("restoring data", null);
        Path list = Files.writeString(dir.resolve("restore.list"), """
                5; 1259 16400 TABLE public a app_owner
                10; 0 16400 TABLE DATA public a app_owner
                12; 2606 16405 CONSTRAINT public a a_pkey app_owner
                """);

        ParallelRestore.ItemProgress items = ParallelRestore.chosen(progress, ARCHIVE, list, ALL_ENTRIES);

        assertEquals(2, items.total, "a's data and primary key; its table is in the schema's run");
        assertEquals("building indexes",
                phaseAfter(items, progress, "pg_restore: finished item 10 TABLE DATA public a"),
                "b's data is not restored, so not waited for");
    }

    @Test
    void aWholeRestoreWaitsForEveryTablesData() {
        jobs.save(job);
        ProgressReporter progress = new ProgressReporter(jobs, job, clock);
        progress.phase("restoring data", null);

        ParallelRestore.ItemProgress items = new ParallelRestore.ItemProgress(progress, ARCHIVE, ALL_ENTRIES);

        assertEquals(4, items.total);
        assertEquals("restoring data", phaseAfter(items, progress, "pg_restore: finished item 10 TABLE DATA public a"));
    }

    @Test
    void aListThatCannotBeReadBackCostsOnlyThePercentagesPrecision() {
        ProgressReporter progress = new ProgressReporter(jobs, job, clock);

        ParallelRestore.ItemProgress items = ParallelRestore.chosen(progress, ARCHIVE, dir.resolve("gone.list"),
                ALL_ENTRIES);

        assertEquals(ALL_ENTRIES, items.total);
        progress.close();
    }
}
