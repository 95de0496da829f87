package dev.pgbackup.restore.api;

import static dev.pgbackup.restore.api.RestoreApiFixture.T0;
import static dev.pgbackup.restore.api.RestoreApiFixture.assertRefused;
import static dev.pgbackup.restore.api.RestoreApiFixture.json;
import static dev.pgbackup.restore.api.RestoreApiFixture.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.WorkerLauncher;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.restore.api.RestoreApiFixture.Stack;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An approved restore and the restore lock: the API takes it for exactly its file, the worker renews and releases
 * it, a stale one is taken over, and a launch or a job record that fails frees it.
 */
class RestoreLockRulesTest {
    // ---------------------------------------------------------------- the lock and the launch

    @Test
    void anApprovedRestoreTakesTheLockForExactlyItsFileAndSaysSoInThePayload() {
        Stack s = new Stack();
        APIGatewayV2HTTPResponse r = s.restore(s.productionBackup, TestStack.PASSKEY);
        assertEquals(202, r.getStatusCode(), r.getBody());
        String jobId = (String) json(r).get("jobId");
        assertEquals(Map.of("jobId", jobId, "environment", "staging", "filename", s.productionBackup, "how", "SWAP"),
                Json.MAPPER.convertValue(Json.MAPPER.valueToTree(parse(s.unit.launches.get(0))), Map.class));
        var holder = s.unit.wiring.restoreLock().holder().orElseThrow();
        assertEquals(jobId, holder.jobId());
        assertEquals(s.productionBackup, holder.filename());

        APIGatewayV2HTTPResponse second = s.restore(s.productionBackup, TestStack.PASSKEY);
        assertRefused(second, 409, "A restore of 'staging' is already running (job " + jobId + ")");
        assertEquals(1, s.unit.launches.size());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theWorkerRenewsTheLockWhileItRunsAndReleasesItAtTheEnd() {
        Stack s = new Stack();
        // the worker runs inline; the in-memory stack moves no archives, so the job fails once it has started
        s.unit.onLaunch = (fn, payload) -> new RestoreWorkerHandler(s.unit.wiring).handleRequest(
                (Map<String, Object>) parse(payload), new TestContext(Duration.ofMinutes(15)));

        APIGatewayV2HTTPResponse r = s.restore(s.productionBackup, TestStack.PASSKEY);

        assertEquals(202, r.getStatusCode(), r.getBody());
        String lock = s.unit.wiring.keys.restoreLock();
        assertEquals(List.of("PUT " + lock, "PUT " + lock, "DELETE " + lock),
                s.unit.objects.writes().stream().filter(w -> w.endsWith(" " + lock)).toList(),
                "taken by the API, renewed by the worker, released by the worker");
        assertEquals(JobRecord.Status.FAILED,
                s.unit.wiring.jobs.find((String) json(r).get("jobId")).orElseThrow().status());
    }

    @Test
    void aStaleLockIsTakenOverAndAFreshOneIsNot() {
        Stack s = new Stack(Map.of("RECENT_BACKUP_MINUTES", "60"), true);
        s.unit.objects.plant(s.unit.wiring.keys.restoreLock(),
                "{\"jobId\":\"11111111-2222-3333-4444-555555555555\",\"subject\":\"crashed\"}", T0);
        assertRefused(s.restore(s.productionBackup, TestStack.PASSKEY), 409,
                "A restore of 'staging' is already running (job 11111111-2222-3333-4444-555555555555)");
        // the restore worker's staleness: 15 min timeout + 5 min event age + 2 min
        s.unit.clock.advance(Duration.ofMinutes(23));
        APIGatewayV2HTTPResponse taken = s.restore(s.productionBackup, TestStack.PASSKEY);
        assertEquals(202, taken.getStatusCode(), taken.getBody());
        assertTrue(s.unit.audit().contains("\"replacedStaleLockOfJob\":\"11111111-2222-3333-4444-555555555555\""));
    }

    @Test
    void aWorkerThatCannotBeStartedReleasesTheLockAndAnUnknownLaunchKeepsIt() {
        Stack refused = new Stack();
        refused.unit.onLaunch = (fn, p) -> {
            throw new WorkerLauncher.NotLaunched("no such function");
        };
        APIGatewayV2HTTPResponse r = refused.restore(refused.productionBackup, TestStack.PASSKEY);
        assertRefused(r, 503, "The restore worker could not be started; try again later");
        assertTrue(refused.unit.wiring.restoreLock().holder().isEmpty());

        Stack unknown = new Stack();
        unknown.unit.onLaunch = (fn, p) -> {
            throw new IllegalStateException("timed out reading Lambda's answer");
        };
        APIGatewayV2HTTPResponse u = unknown.restore(unknown.productionBackup, TestStack.PASSKEY);
        assertEquals(202, u.getStatusCode(), u.getBody());
        assertEquals(json(u).get("jobId"), unknown.unit.wiring.restoreLock().holder().orElseThrow().jobId(),
                "the worker may be running: the lock is not released by the API");
    }

    @Test
    void aJobRecordThatCannotBeWrittenFreesTheLockAndIsAServerFault() {
        Stack s = new Stack();
        s.unit.objects.failingWritesUnder(StateKeys.ROOT + "jobs/");

        APIGatewayV2HTTPResponse r = s.restore(s.productionBackup, TestStack.PASSKEY);

        assertRefused(r, 500, "Restore could not be started: its job record could not be written; nothing was started");
        assertTrue(s.unit.wiring.restoreLock().holder().isEmpty(), "no worker will ever release it");
        assertEquals(List.of(), s.unit.launches);
    }
}
