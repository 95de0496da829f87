package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The local HTTP server builds the API Gateway HTTP API payload-2.0 event the handlers get in AWS. */
class LocalApiTest {
    private final AtomicReference<APIGatewayV2HTTPEvent> seen = new AtomicReference<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalApi api;

    @BeforeEach
    void start() throws Exception {
        api = new LocalApi("127.0.0.1", 0)
                .route("POST /api/setting/restore", (event, context) -> {
                    seen.set(event);
                    return APIGatewayV2HTTPResponse.builder().withStatusCode(409)
                            .withHeaders(Map.of("Content-Type", "application/json"))
                            .withBody("{\"success\":false,\"message\":\"m\"}").build();
                })
                .route("GET /api/setting/jobs/{jobId}", (event, context) -> {
                    seen.set(event);
                    return APIGatewayV2HTTPResponse.builder().withStatusCode(200).withBody("{\"success\":true}")
                            .build();
                });
        api.start();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + api.port() + pathAndQuery);
    }

    @Test
    void aPostBecomesAPayload2Event() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/api/setting/restore?a=1&a=2&b=x%20y"))
                .header("Authorization", "Bearer abc").header("X-Custom-Header", "V")
                .header("Content-Type", "application/json").header("Cookie", "c1=1; c2=2")
                .POST(HttpRequest.BodyPublishers.ofString("{\"filename\":\"f\"}")));
        assertEquals(409, response.statusCode());
        assertEquals("{\"success\":false,\"message\":\"m\"}", response.body());
        assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
        APIGatewayV2HTTPEvent event = seen.get();
        assertEquals("2.0", event.getVersion());
        assertEquals("POST /api/setting/restore", event.getRouteKey());
        assertEquals("/api/setting/restore", event.getRawPath());
        assertEquals("a=1&a=2&b=x%20y", event.getRawQueryString());
        assertEquals(Map.of("a", "1,2", "b", "x y"), event.getQueryStringParameters());
        assertEquals("Bearer abc", event.getHeaders().get("authorization"));
        assertEquals("V", event.getHeaders().get("x-custom-header"));
        assertTrue(event.getHeaders().keySet().stream().allMatch(k -> k.equals(k.toLowerCase())),
                "lower-cased header names");
        assertFalse(event.getHeaders().containsKey("cookie"));
        assertEquals(List.of("c1=1", "c2=2"), event.getCookies());
        assertEquals("{\"filename\":\"f\"}", event.getBody());
        assertFalse(event.getIsBase64Encoded());
        assertNull(event.getPathParameters());
        assertEquals("POST", event.getRequestContext().getHttp().getMethod());
        assertEquals("/api/setting/restore", event.getRequestContext().getHttp().getPath());
        assertEquals("127.0.0.1", event.getRequestContext().getHttp().getSourceIp());
        assertEquals("$default", event.getRequestContext().getStage());
        assertTrue(event.getRequestContext().getTimeEpoch() > 0);
    }

    @Test
    void binaryBodiesAreBase64AndPathParametersAreSet() throws Exception {
        byte[] binary = {(byte) 0xff, (byte) 0xfe, 0, 1};
        send(HttpRequest.newBuilder(uri("/api/setting/restore")).POST(HttpRequest.BodyPublishers.ofByteArray(binary)));
        assertTrue(seen.get().getIsBase64Encoded());
        assertArrayEquals(binary, Base64.getDecoder().decode(seen.get().getBody()));

        assertEquals(200, send(HttpRequest.newBuilder(uri("/api/setting/jobs/abc-123")).GET()).statusCode());
        assertEquals(Map.of("jobId", "abc-123"), seen.get().getPathParameters());
        assertEquals("GET /api/setting/jobs/{jobId}", seen.get().getRouteKey());
        assertNull(seen.get().getBody());
    }

    @Test
    void unknownRoutesAndMethodsAre404() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/api/setting/nothing")).GET());
        assertEquals(404, response.statusCode());
        assertEquals("{\"success\":false,\"message\":\"Not Found\"}", response.body());
        assertEquals(404, send(HttpRequest.newBuilder(uri("/api/setting/restore")).GET()).statusCode());
        assertEquals(404, send(HttpRequest.newBuilder(uri("/api/setting/jobs/a/b")).GET()).statusCode());
    }
}
