package dev.pgbackup.common.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.testsupport.InMemoryObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobStoreTest {
    static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");
    static final StateKeys KEYS = new StateKeys("app", "staging");

    static JobStore store(InMemoryObjectStore objects, Instant now) {
        return new JobStore(new Records(objects), KEYS,
                type -> type == JobRecord.Type.BACKUP ? Duration.ofMinutes(32) : Duration.ofMinutes(22),
                Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void aJobIsClaimedOnceWhateverHowOftenItIsDelivered() {
        InMemoryObjectStore objects = new InMemoryObjectStore();
        String id = JobStore.newJobId();
        assertTrue(store(objects, T0).claim(id));
        assertFalse(store(objects, T0).claim(id));
        assertFalse(store(objects, T0.plusSeconds(3600)).claim(id));
        assertEquals(List.of("PUT " + KEYS.claim(id)), objects.writes());
    }

    @Test
    void aRunningJobPastItsOwnWorkersStalenessIsReportedFailed() {
        InMemoryObjectStore objects = new InMemoryObjectStore();
        JobRecord backup = JobRecord.started(JobStore.newJobId(), JobRecord.Type.BACKUP, "staging", "f", "a", "api",
                T0);
        JobRecord restore = JobRecord.started(JobStore.newJobId(), JobRecord.Type.RESTORE, "staging", "f", "a", "api",
                T0);
        store(objects, T0).save(backup);
        store(objects, T0).save(restore);
        Instant at25 = T0.plus(Duration.ofMinutes(25));
        assertEquals(JobRecord.Status.RUNNING, store(objects, at25).find(backup.jobId()).orElseThrow().status());
        assertEquals(JobRecord.Status.FAILED, store(objects, at25).find(restore.jobId()).orElseThrow().status());
        assertEquals(JobRecord.Status.FAILED,
                store(objects, T0.plus(Duration.ofMinutes(33))).find(backup.jobId()).orElseThrow().status());
    }

    @Test
    void onlyJobIdsReachTheStore() {
        InMemoryObjectStore objects = new InMemoryObjectStore();
        for (String id : new String[] {"../locks/x", "not-a-job", "", null, JobStore.newJobId() + "/x"}) {
            assertTrue(store(objects, T0).find(id).isEmpty(), String.valueOf(id));
        }
    }

    @Test
    void recordsLiveUnderTheEnvironmentsOwnPrefix() {
        InMemoryObjectStore objects = new InMemoryObjectStore();
        JobRecord job = JobRecord.started(JobStore.newJobId(), JobRecord.Type.BACKUP, "staging", "f", "a", "api", T0);
        store(objects, T0).save(job);
        assertEquals(List.of("pgbackup/jobs/app-staging/" + job.jobId() + ".json"), objects.keys());
        // production's store does not see staging's job
        JobStore production = new JobStore(new Records(objects), new StateKeys("app", "production"),
                type -> Duration.ofMinutes(30), Clock.fixed(T0, ZoneOffset.UTC));
        assertTrue(production.find(job.jobId()).isEmpty());
    }
}
