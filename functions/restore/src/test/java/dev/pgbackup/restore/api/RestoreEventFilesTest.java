package dev.pgbackup.restore.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.tests.annotations.Event;
import dev.pgbackup.common.Json;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;

/** The committed restore event through the real handler on the in-memory stack, check by check. */
class RestoreEventFilesTest {
    private static final String FILE = "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump";

    private static String message(APIGatewayV2HTTPResponse r) throws Exception {
        return (String) Json.MAPPER.readValue(r.getBody(), Map.class).get("message");
    }

    @ParameterizedTest
    @Event(value = "events/restore.json", type = APIGatewayV2HTTPEvent.class)
    void theRestoreEventMeetsEveryCheckInOrder(APIGatewayV2HTTPEvent event) throws Exception {
        UnitStack stack = UnitStack.create("staging");
        RestoreApiHandler handler = new RestoreApiHandler(stack.wiring);

        APIGatewayV2HTTPResponse placeholder = handler.handleRequest(event, new TestContext(Duration.ofSeconds(30)));
        assertEquals(401, placeholder.getStatusCode());

        Map<String, String> headers = new HashMap<>(event.getHeaders());
        headers.put("authorization", "Bearer " + stack.token("ops", "WEB_ACCESS"));
        event.setHeaders(headers);
        APIGatewayV2HTTPResponse wrongPasskey = handler.handleRequest(event, new TestContext(Duration.ofSeconds(30)));
        assertEquals(403, wrongPasskey.getStatusCode());
        assertEquals("Invalid restore passkey", message(wrongPasskey));

        event.setBody(event.getBody().replace("REPLACE_WITH_THE_RESTORE_PASSKEY", TestStack.PASSKEY));
        APIGatewayV2HTTPResponse missing = handler.handleRequest(event, new TestContext(Duration.ofSeconds(30)));
        assertEquals(404, missing.getStatusCode());
        assertEquals("Backup file not found: " + FILE, message(missing));

        // 02:00 IST on 2026-11-28 is 20:30 UTC the day before
        stack.objects.plant(FILE, "PGDMP not really", Instant.parse("2026-11-27T20:30:00Z"));
        APIGatewayV2HTTPResponse noSafetyBackup = handler.handleRequest(event, new TestContext(Duration.ofSeconds(30)));
        assertEquals(409, noSafetyBackup.getStatusCode());
        assertTrue(message(noSafetyBackup).startsWith("Safety check failed: No recent backup found from 'staging'"),
                message(noSafetyBackup));
        assertTrue(stack.launches.isEmpty(), "no worker was started");
    }
}
