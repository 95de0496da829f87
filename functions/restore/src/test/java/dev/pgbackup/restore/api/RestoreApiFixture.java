package dev.pgbackup.restore.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Json;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The restore API's unit ground, shared by its rule tests here and the worker's in the restore package: a staging
 * stack over an in-memory bucket with a production backup and (unless told otherwise) a fresh safety backup, and
 * the bodies and answers of its requests.
 */
public final class RestoreApiFixture {
    public static final String APP = "pharmatracker";
    public static final Instant T0 = UnitStack.T0;

    /** A staging stack whose bucket holds a production backup and, unless told otherwise, a fresh safety backup. */
    public static final class Stack {
        public final UnitStack unit;
        public final String productionBackup;

        public Stack(Map<String, String> overrides, boolean safetyBackup) {
            unit = UnitStack.create("staging", overrides);
            productionBackup = unit.plantBackup("production", T0.minus(Duration.ofHours(3)));
            if (safetyBackup) {
                String mine = unit.plantBackup("staging", T0.minusSeconds(60));
                unit.markCompleted(mine, T0.minusSeconds(70), T0.minusSeconds(60));
            }
        }

        public Stack() {
            this(Map.of(), true);
        }

        public APIGatewayV2HTTPResponse post(Map<String, String> headers, String body) {
            return handle(ApiEvents.request("POST", "/api/setting/restore", headers, body));
        }

        public APIGatewayV2HTTPResponse handle(APIGatewayV2HTTPEvent event) {
            return new RestoreApiHandler(unit.wiring).handleRequest(event, new TestContext(Duration.ofSeconds(30)));
        }

        public APIGatewayV2HTTPResponse restore(String filename, String passkey) {
            return post(TestStack.bearer(unit.token("ops@example.com", "WEB_ACCESS")), body(filename, passkey));
        }

        /** Nothing written (no job, lock or claim), nothing launched. */
        public void assertNothingStarted() {
            assertEquals(List.of(), unit.objects.writes());
            assertEquals(List.of(), unit.launches);
        }
    }

    public static String body(String filename, String passkey) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("filename", filename);
        body.put("passkey", passkey);
        return Json.write(body);
    }

    public static Map<?, ?> json(APIGatewayV2HTTPResponse r) {
        try {
            return Json.MAPPER.readValue(r.getBody(), Map.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void assertRefused(APIGatewayV2HTTPResponse r, int status, String message) {
        assertEquals(status, r.getStatusCode(), r.getBody());
        assertEquals(Map.of("success", false, "message", message), json(r));
    }

    public static Map<?, ?> parse(String json) {
        try {
            return Json.MAPPER.readValue(json, Map.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String body(Map<String, Object> fields) {
        return Json.write(fields);
    }

    public static Map<String, Object> fields(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    public static APIGatewayV2HTTPResponse post(Stack s, Map<String, Object> fields) {
        return s.post(TestStack.bearer(s.unit.token("ops@example.com", "WEB_ACCESS")), body(fields));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(String json) {
        try {
            return Json.MAPPER.readValue(json, Map.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private RestoreApiFixture() {}
}
