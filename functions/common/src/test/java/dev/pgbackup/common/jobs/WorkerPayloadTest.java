package dev.pgbackup.common.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerPayloadTest {
    @Test
    void roundTripsAndRefusesAnythingElse() {
        WorkerPayload p = new WorkerPayload(JobStore.newJobId(), "staging", "app-staging-on-x.dump", "on-demand");
        assertEquals(p, WorkerPayload.from(p.toMap()).orElseThrow());
        Map<String, Object> extra = new HashMap<>(p.toMap());
        extra.put("database", "production");
        assertTrue(WorkerPayload.from(extra).isEmpty(), "an unknown field");
        Map<String, Object> badId = new HashMap<>(p.toMap());
        badId.put("jobId", "../x");
        assertTrue(WorkerPayload.from(badId).isEmpty());
        Map<String, Object> number = new HashMap<>(p.toMap());
        number.put("filename", 12);
        assertTrue(WorkerPayload.from(number).isEmpty());
        assertTrue(WorkerPayload.from(Map.of("jobId", p.jobId())).isEmpty(), "the old payload shape");
        assertTrue(WorkerPayload.from(null).isEmpty());
    }

    @Test
    void aRestoreMayCarryItsRoleOptionsAsOneShortString() {
        WorkerPayload p = new WorkerPayload(JobStore.newJobId(), "staging", "app-staging-on-x.dump", "SWAP", null,
                "create-missing,ownership");
        assertEquals(p, WorkerPayload.from(p.toMap()).orElseThrow());
        Map<String, Object> list = new HashMap<>(p.toMap());
        list.put("roles", java.util.List.of("create-missing"));
        assertTrue(WorkerPayload.from(list).isEmpty());
        Map<String, Object> missing = new HashMap<>(p.toMap());
        missing.remove("how");
        assertTrue(WorkerPayload.from(missing).isEmpty(), "a required field missing, an optional one there");
    }
}
