package dev.pgbackup.backup;

import static dev.pgbackup.backup.BackupFaultsFixture.BACKUP_KEY;
import static dev.pgbackup.backup.BackupFaultsFixture.assertNoSecrets;
import static dev.pgbackup.backup.BackupFaultsFixture.direct;
import static dev.pgbackup.backup.BackupFaultsFixture.failedRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Json;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backup worker and API with SSM behind a {@link FaultProxy}: a parameter that cannot be read fails the job (or
 * answers 503) without naming the secret, and leaves nothing behind; a throttle SSM answers once is retried.
 */
class BackupSsmFaultsIT {
    @BeforeAll
    static void seedAndConnect() {
        BackupFaultsFixture.seed();
    }

    @AfterAll
    static void disconnect() {
        BackupFaultsFixture.closeDirect();
    }

    // ---------------------------------------------------------------- SSM

    @Test
    void ssmThrottlingEveryAttemptForTheDatabaseUrlFailsTheJobWithoutNamingTheUrl() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.SOURCE_DB, Map.of())) {
            FaultProxy.Rule throttled = f.proxy.when(FaultProxy.ssm("GetParameter"))
                    .respondSsmError(400, "ThrottlingException", "Rate exceeded");

            Map<String, Object> result = failedRun(f);

            assertTrue(throttled.injected() > 1, "the SDK retried: " + throttled.injected());
            assertSsmFailure(f, result);
        }
    }

    @Test
    void ssmDroppingTheConnectionOnEveryAttemptFailsTheJobWithoutNamingTheUrl() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.SOURCE_DB, Map.of())) {
            FaultProxy.Rule dropped = f.proxy.when(FaultProxy.ssm("GetParameter")).dropConnection();

            Map<String, Object> result = failedRun(f);

            assertTrue(dropped.injected() > 1, "the SDK retried: " + dropped.injected());
            assertSsmFailure(f, result);
        }
    }

    private static void assertSsmFailure(BackupFaultsFixture f, Map<String, Object> result) {
        String message = (String) result.get("message");
        assertEquals("A configuration parameter could not be read from SSM; try again later", message);
        assertNoSecrets(f, message);
        assertTrue(f.proxy.requests(FaultProxy.s3(null, BACKUP_KEY, null)).stream().noneMatch(r -> r.isWrite()),
                "nothing was uploaded: " + f.proxy.writes());
        f.assertNothingLeftBehind();
    }

    @Test
    void ssmThrottlingOnceIsRetriedByTheSdkAndTheBackupSucceeds() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.SOURCE_DB, Map.of())) {
            FaultProxy.Rule once = f.proxy.when(FaultProxy.ssm("GetParameter")).times(1)
                    .respondSsmError(400, "ThrottlingException", "Rate exceeded");

            Map<String, Object> result = BackupWorkerFixture.runScheduled(f.stack);

            assertEquals("SUCCEEDED", result.get("status"), String.valueOf(result.get("message")));
            assertEquals(1, once.injected());
            List<FaultProxy.Request> calls = f.proxy.requests(FaultProxy.ssm("GetParameter"));
            assertEquals(400, calls.get(0).status(), calls.toString());
            assertEquals(200, calls.get(1).status(), calls.toString());
            String filename = (String) result.get("filename");
            List<String> expected = new ArrayList<>(f.older.subList(2, 3));
            expected.add(filename);
            assertEquals(expected.stream().sorted().toList(), BackupWorkerFixture.backupKeys(direct, f.bucket),
                    "the new backup, and retention kept two");
            assertTrue(f.read(f.stack.wiring.keys.lastBackup()).orElseThrow().contains(filename));
            assertEquals(Optional.empty(), f.stack.wiring.backupLock().holder());
        }
    }

    @Test
    void theBackupApiAnswers503WhenSsmCannotGiveTheJwtSecret() throws Exception {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.SOURCE_DB, Map.of())) {
            FaultProxy.Rule throttled = f.proxy.when(FaultProxy.ssm("GetParameter"))
                    .respondSsmError(400, "ThrottlingException", "Rate exceeded");
            String token = f.stack.token("alice@example.com", "WEB_ACCESS");

            APIGatewayV2HTTPResponse response = f.stack.handler(BackupApiHandler.class).handleRequest(
                    ApiEvents.request("POST", "/api/setting/backup", TestStack.bearer(token), null),
                    new TestContext(Duration.ofSeconds(30)));

            assertEquals(503, response.getStatusCode(), response.getBody());
            assertEquals("application/json", response.getHeaders().get("Content-Type"));
            JsonNode body = Json.MAPPER.readTree(response.getBody());
            assertFalse(body.get("success").asBoolean(), body.toString());
            assertEquals("A configuration parameter could not be read from SSM; try again later",
                    body.get("message").asText());
            assertEquals(2, body.size(), body.toString());
            assertTrue(throttled.injected() > 1, "the SDK retried: " + throttled.injected());
            assertFalse(response.getBody().contains(TestStack.jwtSecret("production")));
            f.stack.awaitWorkers();
            assertEquals(0, f.launched.get(), "no worker launched");
            assertEquals(List.of(), f.keys("pgbackup/jobs/"), "no job record");
            assertEquals(List.of(), f.keys("pgbackup/locks/"), "no lock");
            assertEquals(List.of(), f.keys("pgbackup/claims/"), "no claim");
            assertTrue(f.proxy.writes().stream().noneMatch(r -> r.key() != null), "no S3 write: " + f.proxy.writes());
            assertTrue(f.stack.audit().contains("\"action\":\"backup.request\""), f.stack.audit());
            assertTrue(f.stack.audit().contains("\"status\":503"), f.stack.audit());
        }
    }
}
