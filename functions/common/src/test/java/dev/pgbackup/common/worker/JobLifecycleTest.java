package dev.pgbackup.common.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.events.JobEvents;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.testsupport.UnitStack;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How every worker ends a job: lock, record, metric, event, audit line, in that order, each despite the others. */
class JobLifecycleTest {
    static final String ID = "11111111-1111-1111-1111-111111111111";
    final UnitStack stack = UnitStack.create("staging");
    final Lock lock = stack.wiring.backupLock();
    final List<String> steps = new ArrayList<>();
    final JobRecord job = JobRecord.started(ID, JobRecord.Type.BACKUP, "staging", "f.dump", "alice", "api",
            UnitStack.T0);
    final JobLifecycle lifecycle = new JobLifecycle(stack.wiring.jobs, lock, finished -> {
        steps.add("event " + finished.status() + " record " + stack.wiring.jobs.find(ID).map(j -> j.status())
                .orElse(null));
        return new JobEvents.Delivery("event-1", null, null, null);
    }, finished -> steps.add("metric " + finished.status()), audit -> audit.with("tlsWarning", "unverified"));

    JsonNode auditLine() throws Exception {
        List<String> lines = stack.audit().lines().filter(l -> l.contains("\"audit\":true")).toList();
        assertEquals(1, lines.size(), stack.audit());
        return Json.MAPPER.readTree(lines.get(0));
    }

    @Test
    void theLockGoesFirstThenTheRecordThenTheNoticesAndTheAuditLine() throws Exception {
        assertTrue(lock.acquire(ID, "alice", "f.dump").acquired());
        JobRecord done = job.succeeded(UnitStack.T0.plusSeconds(5), 42L, "done", null);

        assertEquals(done, lifecycle.finish(done, stack.wiring.audit.entry("backup.job")));

        String lockKey = stack.wiring.keys.backupLock();
        assertEquals(List.of("DELETE " + lockKey, "PUT " + stack.wiring.keys.job(ID)), stack.objects.writes()
                .stream().filter(w -> !w.equals("PUT " + lockKey)).toList());
        assertEquals(List.of("metric SUCCEEDED", "event SUCCEEDED record SUCCEEDED"), steps,
                "the event is sent once the record says how the job ended");
        JsonNode line = auditLine();
        assertEquals("SUCCEEDED", line.get("result").asText());
        assertEquals("done", line.get("message").asText());
        assertEquals(42, line.get("bytes").asLong());
        assertEquals("event-1", line.get("eventId").asText());
        assertEquals("unverified", line.get("tlsWarning").asText());
    }

    @Test
    void aRecordThatCannotBeWrittenStillFreesTheLockAndIsToldAndLogged() throws Exception {
        assertTrue(lock.acquire(ID, "alice", "f.dump").acquired());
        stack.objects.failingWritesUnder(stack.wiring.keys.job(ID));
        JobRecord failed = job.failed(UnitStack.T0.plusSeconds(5), "Backup failed", null);

        assertThrows(IllegalStateException.class, () -> lifecycle.finish(failed, stack.wiring.audit.entry("b")));

        assertTrue(lock.holder().isEmpty());
        assertEquals(List.of("metric FAILED", "event FAILED record null"), steps);
        assertEquals("FAILED", auditLine().get("result").asText());
    }

    @Test
    void aLockThatCannotBeReleasedGoesStaleAndTheJobStillEnds() throws Exception {
        assertTrue(lock.acquire(ID, "alice", "f.dump").acquired());
        stack.objects.onNextRead(stack.wiring.keys.backupLock(), () -> {
            throw new java.io.UncheckedIOException(new java.io.IOException("S3 said no"));
        });
        JobRecord done = job.succeeded(UnitStack.T0.plusSeconds(5), 42L, "done", null);

        lifecycle.finish(done, stack.wiring.audit.entry("backup.job"));

        assertEquals(JobRecord.Status.SUCCEEDED, stack.wiring.jobs.find(ID).orElseThrow().status());
        assertEquals("UncheckedIOException", auditLine().get("lockReleaseError").asText());
        assertEquals(List.of("metric SUCCEEDED", "event SUCCEEDED record SUCCEEDED"), steps);
    }
}
