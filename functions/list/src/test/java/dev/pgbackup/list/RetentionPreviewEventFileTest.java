package dev.pgbackup.list;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.tests.annotations.Event;
import dev.pgbackup.common.Json;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;

/** The committed retention dry-run event through the real handler on the in-memory stack. */
class RetentionPreviewEventFileTest {
    @ParameterizedTest
    @Event(value = "events/retention-preview.json", type = APIGatewayV2HTTPEvent.class)
    @SuppressWarnings("unchecked")
    void theRetentionEventListsThisEnvironmentsPlanAndDeletesNothing(APIGatewayV2HTTPEvent event) throws Exception {
        UnitStack stack = UnitStack.create("staging", Map.of("RETENTION_COUNT", "1"));
        String older = stack.plantBackup("staging", UnitStack.T0.minus(Duration.ofDays(2)));
        String newer = stack.plantBackup("staging", UnitStack.T0.minus(Duration.ofDays(1)));
        stack.plantBackup("production", UnitStack.T0.minus(Duration.ofDays(3)));
        RetentionPreviewHandler handler = new RetentionPreviewHandler(stack.wiring);

        assertEquals(401, handler.handleRequest(event, new TestContext(Duration.ofSeconds(30))).getStatusCode());
        Map<String, String> headers = new HashMap<>(event.getHeaders());
        headers.put("authorization", "Bearer " + stack.token("alice", "WEB_ACCESS"));
        event.setHeaders(headers);
        List<String> before = stack.objects.keys();
        APIGatewayV2HTTPResponse response = handler.handleRequest(event, new TestContext(Duration.ofSeconds(30)));

        assertEquals(200, response.getStatusCode(), response.getBody());
        Map<String, Object> body = Json.MAPPER.readValue(response.getBody(), Map.class);
        assertEquals("staging", body.get("environment"));
        assertEquals(List.of(Map.of("filename", newer, "class", "scheduled",
                "reasons", List.of("scheduled: one of the newest 1"))), body.get("keep"));
        assertEquals(List.of(Map.of("filename", older, "class", "scheduled",
                "reason", "scheduled: older than the newest 1")), body.get("delete"));
        assertEquals(before, stack.objects.keys(), "a dry run deletes nothing");
        assertEquals(List.of(), stack.objects.writes());
    }
}
