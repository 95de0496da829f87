package dev.pgbackup.common.http;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every API answer is JSON with {@code success}, and a human-readable {@code message} on failure. */
public final class ApiResponses {
    private static final Map<String, String> HEADERS = Map.of(
            "Content-Type", "application/json",
            "Cache-Control", "no-store");

    private ApiResponses() {}

    public static APIGatewayV2HTTPResponse json(int status, Map<String, ?> body) {
        return APIGatewayV2HTTPResponse.builder()
                .withStatusCode(status)
                .withHeaders(HEADERS)
                .withBody(Json.write(body))
                .build();
    }

    public static APIGatewayV2HTTPResponse ok(Map<String, ?> fields) {
        return json(200, success(fields));
    }

    static Map<String, Object> success(Map<String, ?> fields) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", true);
        body.putAll(fields);
        return body;
    }

    public static APIGatewayV2HTTPResponse error(int status, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", false);
        body.put("message", message);
        return json(status, body);
    }
}
