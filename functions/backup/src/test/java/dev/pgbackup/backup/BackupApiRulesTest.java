package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.WorkerLauncher;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The backup API's rules against an in-memory bucket: who may start a backup, with what body, and when not. */
class BackupApiRulesTest {
    static APIGatewayV2HTTPResponse post(UnitStack stack, Map<String, String> headers, String body) {
        return new BackupApiHandler(stack.wiring).handleRequest(
                ApiEvents.request("POST", "/api/setting/backup", headers, body),
                new TestContext(Duration.ofSeconds(30)));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> event(String payload) {
        try {
            return Json.MAPPER.readValue(payload, Map.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(APIGatewayV2HTTPResponse r) throws Exception {
        return Json.MAPPER.readTree(r.getBody());
    }

    static Stream<Arguments> refusals() {
        UnitStack any = UnitStack.create("production");
        String valid = any.token("dave", "WEB_ACCESS");
        String stagingToken = TestStack.tokenFor("staging", any.clock, "dave", "WEB_ACCESS");
        return Stream.of(
                Arguments.of("no token", Map.of(), null, 401),
                Arguments.of("staging's token", TestStack.bearer(stagingToken), null, 401),
                Arguments.of("no role", TestStack.bearer(any.token("carol")), null, 403),
                Arguments.of("a token for ever", TestStack.bearer(JWT.create().withSubject("x")
                        .withArrayClaim("roles", new String[] {"WEB_ACCESS"})
                        .withExpiresAt(UnitStack.T0.plusSeconds(86400 * 365))
                        .sign(Algorithm.HMAC256(TestStack.jwtSecret("production")))), null, 401),
                Arguments.of("array body", TestStack.bearer(valid), "[1,2]", 400),
                Arguments.of("broken json", TestStack.bearer(valid), "{not json", 400),
                Arguments.of("a field", TestStack.bearer(valid), "{\"filename\":\"x.dump\"}", 400),
                Arguments.of("a string", TestStack.bearer(valid), "\"text\"", 400),
                Arguments.of("two objects", TestStack.bearer(valid), "{\"a\":1}{\"b\":2}", 400),
                Arguments.of("oversized", TestStack.bearer(valid), "{\"pad\":\"" + "x".repeat(10_000) + "\"}", 413));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusedRequestsStartNothingAndWriteNothing(String name, Map<String, String> headers, String body, int status)
            throws Exception {
        UnitStack stack = UnitStack.create("production");

        APIGatewayV2HTTPResponse response = post(stack, headers, body);

        assertEquals(status, response.getStatusCode(), response.getBody());
        assertFalse(json(response).get("success").asBoolean());
        assertEquals(List.of(), stack.objects.writes(), "no job, no lock, no backup");
        assertEquals(List.of(), stack.launches);
        assertTrue(stack.audit().contains("\"status\":" + status), stack.audit());
    }

    @Test
    void aDatabaseTooBigForTheWindowIsRefusedUpFrontWithNothingStarted() throws Exception {
        UnitStack stack = UnitStack.create("production");
        // its last backup saw 88.2 GB: at the default 70 MB/s that is 21 minutes, the window 14
        stack.objects.plant(stack.wiring.keys.lastBackup(), "{\"filename\":\"x\",\"databaseBytes\":88200000000}",
                UnitStack.T0);
        int before = stack.objects.writes().size();

        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(stack.token("alice", "WEB_ACCESS")), null);

        assertEquals(422, response.getStatusCode(), response.getBody());
        assertTrue(json(response).get("message").asText().startsWith("Backup refused: the database of 'production' "
                + "is 88.2 GB (pg_database_size at its last backup); at 70 MB/s a backup takes about 21 min, longer "
                + "than the 14 min a backup may run on this stack. Nothing was started."), response.getBody());
        assertEquals(before, stack.objects.writes().size(), "no job, no lock");
        assertEquals(List.of(), stack.launches);
        assertTrue(stack.audit().contains("\"status\":422"), stack.audit());
    }

    @Test
    void theRunningAnswerSaysHowLongTheJobMayTake() throws Exception {
        UnitStack stack = UnitStack.create("production");

        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(stack.token("alice", "WEB_ACCESS")), null);

        assertEquals(202, response.getStatusCode(), response.getBody());
        assertEquals(855, json(response).get("maxDurationSeconds").asInt());
    }

    @Test
    void aStartedBackupHoldsTheLockAndItsPayloadSaysExactlyWhatToDo() throws Exception {
        UnitStack stack = UnitStack.create("production");

        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(stack.token("alice", "WEB_ACCESS")), null);

        assertEquals(202, response.getStatusCode(), response.getBody());
        String jobId = json(response).get("jobId").asText();
        String filename = json(response).get("filename").asText();
        Map<?, ?> payload = Json.MAPPER.readValue(stack.launches.get(0), Map.class);
        assertEquals(Map.of("jobId", jobId, "environment", "production", "filename", filename, "how", "on-demand"),
                payload);
        assertEquals(jobId, stack.wiring.backupLock().holder().orElseThrow().jobId());
        assertEquals(List.of("PUT pgbackup/locks/pharmatracker-production/backup.lock",
                "PUT pgbackup/jobs/pharmatracker-production/" + jobId + ".json"), stack.objects.writes());

        APIGatewayV2HTTPResponse second = post(stack, TestStack.bearer(stack.token("bob", "WEB_ACCESS")), null);
        assertEquals(409, second.getStatusCode());
        assertTrue(json(second).get("message").asText().contains("(job " + jobId + ")"));
        assertEquals(1, stack.launches.size());
    }

    @Test
    void aWorkerThatCannotBeStartedFreesTheLockAndOneThatMayHaveStartedKeepsIt() throws Exception {
        UnitStack refused = UnitStack.create("production");
        refused.onLaunch = (fn, payload) -> {
            throw new WorkerLauncher.NotLaunched("throttled");
        };
        APIGatewayV2HTTPResponse r1 = post(refused, TestStack.bearer(refused.token("a", "WEB_ACCESS")), null);
        assertEquals(503, r1.getStatusCode(), r1.getBody());
        assertEquals("The backup worker could not be started; try again later", json(r1).get("message").asText());
        assertTrue(refused.wiring.backupLock().holder().isEmpty());

        UnitStack unknown = UnitStack.create("production");
        unknown.onLaunch = (fn, payload) -> {
            throw new IllegalStateException("read timed out after the invoke was sent");
        };
        APIGatewayV2HTTPResponse r2 = post(unknown, TestStack.bearer(unknown.token("a", "WEB_ACCESS")), null);
        assertEquals(202, r2.getStatusCode(), r2.getBody());
        assertEquals(json(r2).get("jobId").asText(), unknown.wiring.backupLock().holder().orElseThrow().jobId(),
                "the worker may be running: the lock stays until it ends or goes stale");
    }

    @Test
    void aJobRecordThatCannotBeWrittenFreesTheLockAndIsAServerFault() throws Exception {
        UnitStack stack = UnitStack.create("production");
        stack.objects.failingWritesUnder(StateKeys.ROOT + "jobs/");

        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(stack.token("a", "WEB_ACCESS")), null);

        assertTrue(stack.wiring.backupLock().holder().isEmpty(), "no worker will ever release it");
        assertEquals(List.of(), stack.launches);
        assertEquals(500, response.getStatusCode(), response.getBody());
        assertEquals("Backup could not be started: its job record could not be written; nothing was started",
                json(response).get("message").asText());
        stack.objects.failingWritesUnder("nothing/");
        assertEquals(202, post(stack, TestStack.bearer(stack.token("b", "WEB_ACCESS")), null).getStatusCode(),
                "the next request is not refused by a lock nobody holds");
    }

    @Test
    void theWorkerRenewsTheLockWhileItRunsAndReleasesItAtTheEnd() throws Exception {
        UnitStack stack = UnitStack.create("production");
        // the worker runs inline; the in-memory stack has no pg_dump, so the job fails once it has started
        stack.onLaunch = (fn, payload) -> new BackupWorkerHandler(stack.wiring).handleRequest(event(payload),
                new TestContext(Duration.ofMinutes(15)));

        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(stack.token("alice", "WEB_ACCESS")), null);

        assertEquals(202, response.getStatusCode(), response.getBody());
        String lock = stack.wiring.keys.backupLock();
        assertEquals(List.of("PUT " + lock, "PUT " + lock, "DELETE " + lock),
                stack.objects.writes().stream().filter(w -> w.endsWith(" " + lock)).toList(),
                "taken by the API, renewed by the worker, released by the worker");
        JobRecord job = stack.wiring.jobs.find(json(response).get("jobId").asText()).orElseThrow();
        assertEquals(JobRecord.Status.FAILED, job.status(), job.message());
    }

    @Test
    void aMissingBucketGivesTheKnownMessage() throws Exception {
        UnitStack stack = UnitStack.create("production");
        stack.objects.withoutBucket();
        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(stack.token("a", "WEB_ACCESS")), null);
        assertEquals(500, response.getStatusCode());
        assertEquals("S3 bucket 'unit-bucket' does not exist or is not accessible",
                json(response).get("message").asText());
    }

    @Test
    void anUnreadableJwtSecretIsAServerFaultThatNamesNoSecret() throws Exception {
        UnitStack stack = UnitStack.create("production");
        stack.secrets.put(stack.wiring.config.jwtSecretParameter(), "short");
        APIGatewayV2HTTPResponse response = post(stack, TestStack.bearer(stack.token("a", "WEB_ACCESS")), null);
        assertEquals(500, response.getStatusCode());
        assertTrue(json(response).get("message").asText().contains("shorter than 32 bytes"));
        assertFalse(response.getBody().contains("short\""));
    }
}
