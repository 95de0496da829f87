package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.tests.annotations.Event;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The committed files of events/ as the Java runtime deserialises them (aws-lambda-java-tests' {@code @Event}),
 * through the real handlers on the in-memory stack: the fast counterpart of RuntimeEmulatorIT.
 */
class BackupEventFilesTest {
    private static Map<String, Object> body(APIGatewayV2HTTPResponse r) throws Exception {
        return Json.MAPPER.readValue(r.getBody(), Map.class);
    }

    @ParameterizedTest
    @Event(value = "events/backup.json", type = APIGatewayV2HTTPEvent.class)
    void theCommittedBackupEventIsRefusedForItsPlaceholderToken(APIGatewayV2HTTPEvent event) throws Exception {
        UnitStack stack = UnitStack.create("production");

        APIGatewayV2HTTPResponse response = new BackupApiHandler(stack.wiring).handleRequest(event,
                new TestContext(Duration.ofSeconds(30)));

        assertEquals(401, response.getStatusCode());
        assertEquals("Invalid or expired token", body(response).get("message"));
        assertTrue(stack.launches.isEmpty());
    }

    @ParameterizedTest
    @Event(value = "events/backup.json", type = APIGatewayV2HTTPEvent.class)
    void withARealTokenTheBackupEventStartsABackup(APIGatewayV2HTTPEvent event) throws Exception {
        UnitStack stack = UnitStack.create("production");
        Map<String, String> headers = new HashMap<>(event.getHeaders());
        headers.put("authorization", "Bearer " + stack.token("alice", "WEB_ACCESS"));
        event.setHeaders(headers);

        APIGatewayV2HTTPResponse response = new BackupApiHandler(stack.wiring).handleRequest(event,
                new TestContext(Duration.ofSeconds(30)));

        assertEquals(202, response.getStatusCode(), response.getBody());
        assertEquals(body(response).get("jobId"), stack.wiring.backupLock().holder().orElseThrow().jobId());
        assertEquals(1, stack.launches.size());
    }

    @ParameterizedTest
    @Event(value = "events/scheduled-backup.json", type = Map.class)
    void theScheduleEventIsOneJobPerExecutionWhateverTheDeliveries(Map<String, Object> event) {
        UnitStack stack = UnitStack.create("production");
        BackupWorkerHandler worker = new BackupWorkerHandler(stack.wiring);
        String jobId = BackupAssignments.scheduledJobId(stack.wiring.config, "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa");

        Map<String, Object> first = worker.handleRequest(event, new TestContext(Duration.ofMinutes(15)));
        Map<String, Object> again = worker.handleRequest(event, new TestContext(Duration.ofMinutes(15)));

        // the in-memory stack has no database: the job runs, fails on it, and says so
        assertEquals(jobId, first.get("jobId"));
        JobRecord job = stack.wiring.jobs.find(jobId).orElseThrow();
        assertEquals("schedule", job.trigger());
        assertEquals(JobRecord.Status.FAILED, job.status());
        assertEquals("IGNORED", again.get("status"), "the same execution delivered twice runs once");
        assertFalse(stack.wiring.backupLock().holder().isPresent(), "the lock is free");
    }

    @ParameterizedTest
    @Event(value = "events/scheduled-refresh.json", type = Map.class)
    void theRefreshEventTakesTheRestoreLockThenTheSafetyBackupAndFailsWhenThatFails(Map<String, Object> event) {
        UnitStack stack = UnitStack.create("staging", Map.of("REFRESH_SOURCE_ENVIRONMENT", "production"));
        String production = stack.plantBackup("production", UnitStack.T0.minusSeconds(3600));
        stack.objects.plant(stack.wiring.keys.of("production").manifest(production,
                dev.pgbackup.common.storage.BackupClass.SCHEDULED), "{}", UnitStack.T0.minusSeconds(3590));
        BackupWorkerHandler worker = new BackupWorkerHandler(stack.wiring);
        String jobId = dev.pgbackup.restore.api.RefreshStarter.scheduledJobId(stack.wiring.config,
                "7d3b1f0e-6a2c-4c8e-9f51-2b0d4e8a9c17");

        Map<String, Object> first = worker.handleRequest(event, new TestContext(Duration.ofMinutes(15)));
        Map<String, Object> again = worker.handleRequest(event, new TestContext(Duration.ofMinutes(15)));

        // the in-memory stack has no database: the safety backup fails, so nothing is restored
        assertEquals(jobId, first.get("jobId"));
        JobRecord job = stack.wiring.jobs.find(jobId).orElseThrow();
        assertEquals(JobRecord.Type.RESTORE, job.type());
        assertEquals("schedule", job.trigger());
        assertEquals(production, job.filename());
        assertEquals(JobRecord.Status.FAILED, job.status());
        assertTrue(job.message().startsWith("Refresh failed: the safety backup of 'staging' did not succeed (job "),
                job.message());
        assertTrue(job.message().endsWith("); nothing was changed"), job.message());
        assertEquals("IGNORED", again.get("status"), "the same execution delivered twice runs once");
        assertFalse(stack.wiring.restoreLock().holder().isPresent(), "the restore lock is free");
        assertFalse(stack.wiring.backupLock().holder().isPresent(), "the backup lock is free");
        assertTrue(stack.launches.isEmpty(), "no restore worker was started");
    }
}
