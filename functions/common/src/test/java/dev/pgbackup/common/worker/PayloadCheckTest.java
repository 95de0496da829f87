package dev.pgbackup.common.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.worker.PayloadCheck.Found;
import dev.pgbackup.testsupport.UnitStack;
import org.junit.jupiter.api.Test;

/** Which payloads a worker may claim, and that a job is claimed once. */
class PayloadCheckTest {
    static final String ID = "33333333-3333-3333-3333-333333333333";
    final UnitStack stack = UnitStack.create("staging");
    final Lock lock = stack.wiring.restoreLock();
    final PayloadCheck check = new PayloadCheck("staging", stack.wiring.jobs, lock, JobRecord.Type.RESTORE);
    final JobRecord job = JobRecord.started(ID, JobRecord.Type.RESTORE, "staging", "f.dump", "alice", "api",
            stack.clock.instant());
    final WorkerPayload payload = new WorkerPayload(ID, "staging", "f.dump", "SWAP");

    void running() {
        stack.wiring.jobs.save(job);
        assertTrue(lock.acquire(ID, "alice", "f.dump").acquired());
    }

    @Test
    void aRunningJobHoldingItsLockIsAcceptedAndClaimedOnce() {
        running();

        PayloadCheck.Verdict verdict = check.check(payload, j -> true);

        assertEquals(new PayloadCheck.Verdict(Found.ACCEPTED, job), verdict);
        assertTrue(stack.wiring.jobs.claim(ID));
        assertFalse(stack.wiring.jobs.claim(ID), "a second delivery of the same job finds the claim");
    }

    @Test
    void anotherEnvironmentsPayloadIsNotEvenLookedUp() {
        running();

        PayloadCheck.Verdict verdict = check.check(new WorkerPayload(ID, "production", "f.dump", "SWAP"), j -> true);

        assertEquals(Found.OTHER_ENVIRONMENT, verdict.found());
        assertNull(verdict.job());
    }

    @Test
    void aFinishedOrUnknownOrOtherTypeJobIsNotRunning() {
        assertEquals(Found.NOT_RUNNING, check.check(payload, j -> true).found());
        stack.wiring.jobs.save(job.failed(stack.clock.instant(), "Restore failed: no", null));
        assertEquals(Found.NOT_RUNNING, check.check(payload, j -> true).found());
        PayloadCheck backups = new PayloadCheck("staging", stack.wiring.jobs, lock, JobRecord.Type.BACKUP);
        stack.wiring.jobs.save(job);
        assertEquals(Found.NOT_RUNNING, backups.check(payload, j -> true).found());
    }

    @Test
    void aPayloadThatDisagreesWithTheRecordIsRefusedBeforeTheLockIsAsked() {
        running();

        assertEquals(new PayloadCheck.Verdict(Found.DISAGREES, job),
                check.check(new WorkerPayload(ID, "staging", "other.dump", "SWAP"), j -> true));
        assertEquals(Found.DISAGREES, check.check(payload, j -> false).found());
    }

    @Test
    void aJobWhoseLockIsHeldByAnotherOrForAnotherFileMayNotRun() {
        stack.wiring.jobs.save(job);
        assertTrue(lock.acquire("44444444-4444-4444-4444-444444444444", "bob", "f.dump").acquired());
        assertEquals(new PayloadCheck.Verdict(Found.LOCK_NOT_HELD, job), check.check(payload, j -> true));

        lock.release("44444444-4444-4444-4444-444444444444");
        assertTrue(lock.acquire(ID, "alice", "other.dump").acquired());
        assertEquals(Found.LOCK_NOT_HELD, check.check(payload, j -> true).found());
    }
}
