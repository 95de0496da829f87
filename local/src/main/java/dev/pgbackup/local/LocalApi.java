package dev.pgbackup.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP API on localhost, as API Gateway's HTTP API would front the functions: each request becomes a
 * payload-2.0 {@link APIGatewayV2HTTPEvent} (lower-cased headers, rawPath, rawQueryString,
 * queryStringParameters, pathParameters, body/isBase64Encoded, requestContext.http) for the real handler,
 * and the handler's {@link APIGatewayV2HTTPResponse} becomes the HTTP answer. Routes are those of
 * template.yaml; anything else is 404 like an HTTP API without a matching route.
 */
final class LocalApi implements AutoCloseable {
    /** API Gateway's payload limit; the handlers apply their own, much smaller, limit. */
    static final int MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
    private static final DateTimeFormatter REQUEST_TIME = DateTimeFormatter
            .ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    record Route(String method, Pattern path, String routeKey, String pathParameter,
            RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> handler) {}

    private final List<Route> routes = new ArrayList<>();
    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "local-api");
        t.setDaemon(true);
        return t;
    });

    LocalApi(String bindAddress, int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(bindAddress, port), 64);
        server.setExecutor(pool);
        server.createContext("/", this::serve);
    }

    /** {@code routeKey} as in template.yaml, e.g. {@code GET /api/setting/jobs/{jobId}}. */
    LocalApi route(String routeKey, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> handler) {
        String[] parts = routeKey.split(" ", 2);
        Matcher param = Pattern.compile("\\{([A-Za-z]+)}").matcher(parts[1]);
        String name = param.find() ? param.group(1) : null;
        String regex = Pattern.quote(parts[1]).replaceAll("\\{[A-Za-z]+}", "\\\\E([^/]+)\\\\Q");
        routes.add(new Route(parts[0], Pattern.compile(regex), routeKey, name, handler));
        return this;
    }

    void start() {
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void serve(HttpExchange exchange) throws IOException {
        long started = System.nanoTime();
        int status;
        try (exchange) {
            String method = exchange.getRequestMethod();
            String rawPath = exchange.getRequestURI().getRawPath();
            String path = exchange.getRequestURI().getPath();
            Route route = null;
            Matcher match = null;
            for (Route r : routes) {
                Matcher m = r.path().matcher(path);
                if (r.method().equals(method) && m.matches()) {
                    route = r;
                    match = m;
                    break;
                }
            }
            if (route == null) {
                status = send(exchange, 404, Map.of("Content-Type", "application/json"),
                        "{\"success\":false,\"message\":\"Not Found\"}".getBytes(StandardCharsets.UTF_8));
            } else {
                byte[] body = readBody(exchange.getRequestBody());
                if (body == null) {
                    status = send(exchange, 413, Map.of("Content-Type", "application/json"),
                            "{\"success\":false,\"message\":\"Request Entity Too Large\"}"
                                    .getBytes(StandardCharsets.UTF_8));
                } else {
                    APIGatewayV2HTTPEvent event = toEvent(exchange, route, match, rawPath, path, body);
                    APIGatewayV2HTTPResponse response;
                    try {
                        // the API functions' Timeout and MemorySize in template.yaml
                        response = route.handler().handleRequest(event,
                                new LocalContext(route.routeKey(), Duration.ofSeconds(29), 1024));
                    } catch (RuntimeException | Error e) {
                        // API Gateway's answer to a function error
                        System.err.println(
                                "[local] handler for " + route.routeKey() + " threw " + e.getClass().getName());
                        response = APIGatewayV2HTTPResponse.builder().withStatusCode(500)
                                .withHeaders(Map.of("Content-Type", "application/json"))
                                .withBody("{\"success\":false,\"message\":\"Internal Server Error\"}").build();
                    }
                    status = sendResponse(exchange, response);
                }
            }
            System.err.printf("[local] %s %s -> %d (%d ms)%n", method, rawPath, status,
                    (System.nanoTime() - started) / 1_000_000);
        }
    }

    /** The body, or null when it is larger than API Gateway accepts. */
    private static byte[] readBody(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_PAYLOAD_BYTES + 1);
        return bytes.length > MAX_PAYLOAD_BYTES ? null : bytes;
    }

    static APIGatewayV2HTTPEvent toEvent(HttpExchange exchange, Route route, Matcher match, String rawPath, String path,
            byte[] body) {
        Map<String, String> headers = new LinkedHashMap<>();
        List<String> cookies = new ArrayList<>();
        exchange.getRequestHeaders().forEach((name, values) -> {
            String key = name.toLowerCase(Locale.ROOT);
            if (key.equals("cookie")) {
                values.forEach(v -> cookies.addAll(List.of(v.split(";\\s*"))));
            } else {
                headers.merge(key, String.join(",", values), (a, b) -> a + "," + b);
            }
        });
        String rawQuery = exchange.getRequestURI().getRawQuery();
        Map<String, String> query = queryParameters(rawQuery);
        Map<String, String> pathParameters = null;
        if (route.pathParameter() != null) {
            pathParameters = Map.of(route.pathParameter(), match.group(1));
        }
        String text = utf8(body);
        boolean base64 = text == null;
        Instant now = Instant.now();
        String sourceIp = exchange.getRemoteAddress().getAddress().getHostAddress();
        String host = headers.getOrDefault("host", "localhost");
        return APIGatewayV2HTTPEvent.builder()
                .withVersion("2.0")
                .withRouteKey(route.routeKey())
                .withRawPath(rawPath)
                .withRawQueryString(rawQuery == null ? "" : rawQuery)
                .withCookies(cookies.isEmpty() ? null : cookies)
                .withHeaders(headers)
                .withQueryStringParameters(query.isEmpty() ? null : query)
                .withPathParameters(pathParameters)
                .withBody(body.length == 0 ? null : base64 ? Base64.getEncoder().encodeToString(body) : text)
                .withIsBase64Encoded(base64)
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder()
                        .withAccountId("000000000000")
                        .withApiId("local")
                        .withDomainName(host)
                        .withDomainPrefix(host.split("[.:]")[0])
                        .withRequestId(UUID.randomUUID().toString())
                        .withRouteKey(route.routeKey())
                        .withStage("$default")
                        .withTime(REQUEST_TIME.format(now))
                        .withTimeEpoch(now.toEpochMilli())
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder()
                                .withMethod(exchange.getRequestMethod())
                                .withPath(path)
                                .withProtocol(exchange.getProtocol())
                                .withSourceIp(sourceIp)
                                .withUserAgent(headers.get("user-agent"))
                                .build())
                        .build())
                .build();
    }

    /** Decoded, repeated names joined with commas (payload 2.0). */
    static Map<String, String> queryParameters(String rawQuery) {
        Map<String, String> query = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return query;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            query.merge(name, value, (a, b) -> a + "," + b);
        }
        return query;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /** The body as text if it is valid UTF-8; otherwise null (it goes base64-encoded, as API Gateway does). */
    private static String utf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static int sendResponse(HttpExchange exchange, APIGatewayV2HTTPResponse response) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        if (response.getHeaders() != null) {
            headers.putAll(response.getHeaders());
        }
        if (response.getMultiValueHeaders() != null) {
            response.getMultiValueHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
        }
        headers.putIfAbsent("Content-Type", "application/json");
        String body = response.getBody() == null ? "" : response.getBody();
        byte[] bytes = response.getIsBase64Encoded() ? Base64.getDecoder().decode(body)
                : body.getBytes(StandardCharsets.UTF_8);
        return send(exchange, response.getStatusCode(), headers, bytes);
    }

    private static int send(HttpExchange exchange, int status, Map<String, String> headers, byte[] body)
            throws IOException {
        headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.getResponseHeaders().set("apigw-requestid", UUID.randomUUID().toString());
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        return status;
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
