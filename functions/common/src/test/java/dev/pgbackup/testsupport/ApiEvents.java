package dev.pgbackup.testsupport;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import java.util.HashMap;
import java.util.Map;

/** API Gateway HTTP API (payload 2.0) events as the real integration sends them. */
public final class ApiEvents {
    private ApiEvents() {}

    public static APIGatewayV2HTTPEvent request(String method, String path, Map<String, String> headers, String body) {
        Map<String, String> h = new HashMap<>(headers);
        h.putIfAbsent("content-type", "application/json");
        return APIGatewayV2HTTPEvent.builder()
                .withVersion("2.0")
                .withRouteKey(method + " " + path)
                .withRawPath(path)
                .withRawQueryString("")
                .withHeaders(h)
                .withBody(body)
                .withIsBase64Encoded(false)
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder()
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder()
                                .withMethod(method).withPath(path).withSourceIp("127.0.0.1").build())
                        .build())
                .build();
    }
}
