package dev.pgbackup.common.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.testsupport.InMemoryObjectStore;
import dev.pgbackup.testsupport.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A job's final record is its outcome for good: no progress write, however late it runs, turns a finished job
 * back into a RUNNING one (which the status endpoint would later report as a dead, FAILED job). {@link
 * ProgressReporter#close()} waits for the reporter's writes, so each test knows they all ran.
 */
class ProgressReporterTest {
    static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");
    static final StateKeys KEYS = new StateKeys("app", "staging");
    static final Duration STALE = Duration.ofMinutes(32);

    final MutableClock clock = new MutableClock(T0);
    final InMemoryObjectStore objects = new InMemoryObjectStore("b", clock);
    final JobStore jobs = new JobStore(new Records(objects), KEYS, type -> STALE, clock);
    final JobRecord job = JobRecord.started(JobStore.newJobId(), JobRecord.Type.BACKUP, "staging", "f.dump", "alice",
            "api", T0);

    JobRecord succeeded() {
        return job.succeeded(clock.instant(), 1234L, "Database backup created successfully: f.dump", null);
    }

    void assertStillSucceededLater(JobRecord done) {
        assertEquals(done, jobs.find(job.jobId()).orElseThrow());
        clock.advance(STALE.plusMinutes(1));
        assertEquals(JobRecord.Status.SUCCEEDED, jobs.find(job.jobId()).orElseThrow().status(),
                "a finished job never becomes a dead one");
    }

    @Test
    void aProgressWriteAfterTheFinalRecordChangesNothing() {
        jobs.save(job);
        ProgressReporter progress = new ProgressReporter(jobs, job, clock);
        progress.phase("dumping and uploading", null);
        clock.advance(Duration.ofSeconds(5));
        JobRecord done = succeeded();
        jobs.save(done);

        progress.phase("late", null); // queued before the end, written after it
        progress.close();

        assertStillSucceededLater(done);
    }

    @Test
    void aFinalRecordWrittenBetweenAProgressReadAndItsWriteWins() {
        jobs.save(job);
        JobRecord done = succeeded();
        AtomicBoolean finishedInBetween = new AtomicBoolean();
        // the worker writes the outcome just after the progress writer read the RUNNING record
        objects.onNextRead(KEYS.job(job.jobId()), () -> {
            jobs.save(done);
            finishedInBetween.set(true);
        });
        ProgressReporter progress = new ProgressReporter(jobs, job, clock);

        progress.phase("dumping and uploading", null);
        progress.close();

        assertTrue(finishedInBetween.get(), "the progress write read the record first");
        assertStillSucceededLater(done);
    }

    @Test
    void progressOfARunningJobIsWrittenOverWhatTheRecordHoldsNow() {
        jobs.save(job);
        ProgressReporter progress = new ProgressReporter(jobs, job, clock);
        progress.phase("dumping and uploading", 5000L);
        progress.close();

        JobRecord running = jobs.find(job.jobId()).orElseThrow();
        assertEquals(JobRecord.Status.RUNNING, running.status());
        assertEquals(new JobRecord.Progress("dumping and uploading", null, 5000L, null, null, T0), running.progress());
    }
}
