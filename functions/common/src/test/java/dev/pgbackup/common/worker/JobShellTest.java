package dev.pgbackup.common.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.events.JobEvents;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.testsupport.UnitStack;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one worker shell: run the type's work, turn what happened into the final record, end the job. */
class JobShellTest {
    static final String ID = "22222222-2222-2222-2222-222222222222";
    static final String SECRET = "s3cr3t-password";
    final UnitStack stack = UnitStack.create("staging");
    final Lock lock = stack.wiring.backupLock();
    final List<String> steps = new ArrayList<>();
    final JobRecord job = JobRecord.started(ID, JobRecord.Type.BACKUP, "staging", "f.dump", "alice", "api",
            stack.clock.instant());
    final JobShell shell = new JobShell(stack.wiring.jobs, lock, finished -> {
        steps.add("event " + finished.status() + " record " + stack.wiring.jobs.find(ID).map(JobRecord::status)
                .orElse(null));
        return new JobEvents.Delivery("event-1", null, null, null);
    }, audit -> {}, stack.clock);

    /** A job type for the tests; each flag as a real type may set it. */
    class Policy implements JobPolicy<Long> {
        boolean announces = true;
        boolean recordsErrors;
        boolean countsRefusals = true;
        final List<String> failures = new ArrayList<>();

        @Override
        public JobTraits traits() {
            return new JobTraits("Backup", true, announces, recordsErrors, countsRefusals);
        }

        @Override
        public Collection<String> secrets() {
            return List.of(SECRET);
        }

        @Override
        public void metric(JobRecord finished, Long outcome) {
            steps.add("metric " + finished.status() + " " + outcome);
        }

        @Override
        public JobRecord succeeded(JobRecord running, Long outcome, AuditLog.Entry audit) {
            audit.with("rows", outcome);
            return running.succeeded(stack.clock.instant(), outcome, "done: " + outcome, null);
        }

        @Override
        public void failed(JobRecord running, Throwable e) {
            failures.add(e.getClass().getSimpleName());
        }
    }

    final Policy policy = new Policy();

    JobRecord started() {
        stack.wiring.jobs.save(job);
        assertTrue(lock.acquire(ID, "alice", "f.dump").acquired());
        return job;
    }

    JsonNode auditLine() throws Exception {
        List<String> lines = stack.audit().lines().filter(l -> l.contains("\"audit\":true")).toList();
        assertEquals(1, lines.size(), stack.audit());
        return Json.MAPPER.readTree(lines.get(0));
    }

    JobRecord stored() {
        return stack.wiring.jobs.find(ID).orElseThrow();
    }

    @Test
    void aSuccessIsRecordedThenTheLockFreedAndTheEventSentOnceTheRecordSaysSo() throws Exception {
        JobRecord done = shell.run(started(), stack.wiring.audit.entry("backup.job"), policy, (running, progress) -> {
            assertEquals(ID, lock.holder().orElseThrow().jobId(), "the job holds its lock while it runs");
            return 42L;
        });

        assertEquals(JobRecord.Status.SUCCEEDED, done.status());
        assertEquals(done, stored());
        assertEquals("done: 42", stored().message());
        assertEquals(stack.clock.instant(), stored().finishedAt());
        assertTrue(lock.holder().isEmpty());
        assertEquals(List.of("metric SUCCEEDED 42", "event SUCCEEDED record SUCCEEDED"), steps);
        JsonNode line = auditLine();
        assertEquals("SUCCEEDED", line.get("result").asText());
        assertEquals(42, line.get("rows").asLong());
        assertEquals("event-1", line.get("eventId").asText());
        assertTrue(policy.failures.isEmpty());
    }

    @Test
    void aFailureIsTheFailedRecordWithItsOwnMessageAndTheLockFreed() throws Exception {
        JobRecord failed = shell.run(started(), stack.wiring.audit.entry("backup.job"), policy, (running, progress) -> {
            throw Failure.server("Backup failed: the server said no", "password " + SECRET + " refused");
        });

        assertEquals(JobRecord.Status.FAILED, stored().status());
        assertEquals("Backup failed: the server said no", stored().message());
        assertEquals("password **** refused", stored().diagnostic());
        assertEquals(failed, stored());
        assertTrue(lock.holder().isEmpty());
        assertEquals(List.of("metric FAILED null", "event FAILED record FAILED"), steps,
                "a failed job's metric has no outcome");
        assertEquals(List.of("Failure"), policy.failures);
        JsonNode line = auditLine();
        assertEquals("FAILED", line.get("result").asText());
        assertTrue(!line.toString().contains(SECRET), line.toString());
    }

    @Test
    void anUnexpectedExceptionIsNamedNotQuotedAndTheLockFreed() throws Exception {
        shell.run(started(), stack.wiring.audit.entry("backup.job"), policy, (running, progress) -> {
            throw new IllegalStateException("connection to " + SECRET);
        });

        assertEquals("Backup failed: IllegalStateException (details in job " + ID + " of the staging logs)",
                stored().message());
        assertTrue(!stored().diagnostic().contains(SECRET), stored().diagnostic());
        assertTrue(lock.holder().isEmpty());
        assertEquals(List.of("IllegalStateException"), policy.failures);
        assertEquals("FAILED", auditLine().get("result").asText());
    }

    @Test
    void anErrorIsRecordedBeforeItGoesOnOnlyWhenTheTypeSaysSo() throws Exception {
        policy.recordsErrors = true;
        assertThrows(OutOfMemoryError.class, () -> shell.run(started(), stack.wiring.audit.entry("restore.job"),
                policy, (running, progress) -> {
                    throw new OutOfMemoryError("heap");
                }));

        assertEquals("Backup failed: OutOfMemoryError (details in job " + ID + " of the staging logs)",
                stored().message());
        assertTrue(lock.holder().isEmpty());
        assertEquals("FAILED", auditLine().get("result").asText());
    }

    @Test
    void anErrorTheTypeDoesNotRecordLeavesTheJobRunningAndTheLockToGoStale() {
        assertThrows(OutOfMemoryError.class, () -> shell.run(started(), stack.wiring.audit.entry("backup.job"),
                policy, (running, progress) -> {
                    throw new OutOfMemoryError("heap");
                }));

        assertEquals(JobRecord.Status.RUNNING, stored().status());
        assertEquals(ID, lock.holder().orElseThrow().jobId());
        assertTrue(steps.isEmpty());
        assertTrue(policy.failures.isEmpty());
    }

    @Test
    void aTypeThatAnnouncesNothingSendsNoEvent() throws Exception {
        policy.announces = false;
        shell.run(started(), stack.wiring.audit.entry("restore.drill"), policy, (running, progress) -> 7L);

        assertEquals(List.of("metric SUCCEEDED 7"), steps);
        assertNull(auditLine().get("eventId"));
    }

    @Test
    void theRecordBeginReturnsIsWrittenBeforeTheWorkAndIsWhatTheJobEndsAs() {
        JobRecord chosen = JobRecord.started(ID, JobRecord.Type.BACKUP, "staging", "chosen.dump", "alice", "api",
                job.createdAt());
        Policy choosing = new Policy() {
            @Override
            public JobRecord begin(JobRecord running, AuditLog.Entry audit) {
                return chosen;
            }
        };
        JobRecord done = shell.run(started(), stack.wiring.audit.entry("restore.drill"), choosing,
                (running, progress) -> {
                    assertSame(chosen, running);
                    assertEquals("chosen.dump", stored().filename(), "recorded before the work starts");
                    return 1L;
                });

        assertEquals("chosen.dump", done.filename());
        assertEquals(done, stored());
    }

    @Test
    void aJobThatDidNotRunEndsTheSameWayWithoutAnOutcome() throws Exception {
        JobRecord refused = started().failed(stack.clock.instant(), "Backup refused: no", null);

        shell.finish(refused, stack.wiring.audit.entry("backup.job"), policy);

        assertEquals(refused, stored());
        assertTrue(lock.holder().isEmpty());
        assertEquals(List.of("metric FAILED null", "event FAILED record FAILED"), steps);
        assertEquals("FAILED", auditLine().get("result").asText());
    }

    @Test
    void aJobRefusedBeforeItRanIsRecordedCountedAnnouncedAndLoggedAndTouchesNoLock() throws Exception {
        String other = "55555555-5555-5555-5555-555555555555";
        assertTrue(lock.acquire(other, "bob", "g.dump").acquired());
        JobRecord refused = job.failed(stack.clock.instant(), "Backup refused: another is running", null);

        assertEquals(refused, shell.refuse(refused, stack.wiring.audit.entry("backup.job"), policy));

        assertEquals(refused, stored());
        assertEquals(other, lock.holder().orElseThrow().jobId(), "the running job's lock is not touched");
        assertEquals(List.of("metric FAILED null", "event FAILED record FAILED"), steps);
        JsonNode line = auditLine();
        assertEquals("REFUSED", line.get("result").asText());
        assertEquals("event-1", line.get("eventId").asText());
    }

    @Test
    void aTypeThatCountsNoRefusalsAndAnnouncesNothingOnlyRecordsAndLogsThem() throws Exception {
        policy.countsRefusals = false;
        policy.announces = false;
        JobRecord refused = job.failed(stack.clock.instant(), "Restore drill refused: another is running", null);

        shell.refuse(refused, stack.wiring.audit.entry("restore.drill"), policy);

        assertEquals(refused, stored());
        assertTrue(steps.isEmpty(), String.valueOf(steps));
        assertEquals("REFUSED", auditLine().get("result").asText());
        assertNull(auditLine().get("eventId"));
    }
}
