package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.RepoPaths;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What the checks of docs/openapi.yaml against the real handlers share ({@link OpenApiContractIT},
 * {@link OpenApiSchemaBoundsIT}): the document, a local run's variables and tokens, and the calls that check each
 * answer against the document, recording which documented answers were produced. In a class of its own so that
 * each IT holds one concern.
 */
final class OpenApiFixture {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String PASSKEY = "openapi-contract-passkey";
    /** Every answer validated in this JVM, as "METHOD /path/template status". */
    static final Set<String> produced = new TreeSet<>();
    static JsonNode spec;

    private OpenApiFixture() {}

    /** Each environment's own secret, as in AWS. */
    static String secret(String environment) {
        return "openapi-contract-jwt-secret-of-" + environment + "-0123456789";
    }

    static void loadDocument() throws java.io.IOException {
        spec = new YAMLMapper().readTree(RepoPaths.root().resolve("docs/openapi.yaml").toFile());
    }

    /** A local run of {@code environment} on {@code bucket} and an existing database, with this test's secrets. */
    static Map<String, String> env(String bucket, String environment, String dbUrl, String waitBudget) {
        Map<String, String> env = new HashMap<>();
        env.put("ENVIRONMENT", environment);
        env.put("APP_NAME", "pharmatracker");
        env.put("PORT", "0");
        env.put("BUCKET_NAME", bucket);
        env.put("AWS_ENDPOINT_URL", MotoServer.get().endpoint().toString());
        env.put("DATABASE_URL", dbUrl);
        env.put("JWT_SECRET", secret(environment));
        env.put("RESTORE_PASSKEY", PASSKEY);
        env.put("WAIT_BUDGET_SECONDS", waitBudget);
        env.put("DB_URL_PARAMETER", "/openapi/" + environment + "/db-url");
        env.put("JWT_SECRET_PARAMETER", "/openapi/" + environment + "/jwt-secret");
        env.put("RESTORE_PASSKEY_PARAMETER", "/openapi/" + environment + "/restore-passkey");
        env.put("PG_TOOLS_DIR", RepoPaths.pgToolsDir().toString());
        return env;
    }

    static String token(String environment, String... roles) {
        return JWT.create().withSubject("openapi-test").withArrayClaim("roles", roles)
                .withExpiresAt(Instant.now().plus(Duration.ofHours(1))).sign(Algorithm.HMAC256(secret(environment)));
    }

    /** Calls the local API and checks the answer against the document; returns the body. */
    static JsonNode call(LocalRun run, String method, String path, String token, String body, int expected)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + run.port() + path))
                .method(method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expected, response.statusCode(), () -> method + " " + path + ": " + response.body());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode json = JSON.readTree(response.body());
        validate(method, path, response.statusCode(), json);
        return json;
    }

    static void validate(String method, String path, int status, JsonNode body) {
        String rawPath = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        String template = null;
        for (Iterator<String> it = spec.get("paths").fieldNames(); it.hasNext();) {
            String candidate = it.next();
            if (Pattern.matches(candidate.replaceAll("\\{[^}]+}", "[^/]+"), rawPath)) {
                template = candidate;
            }
        }
        assertTrue(template != null, "path not in docs/openapi.yaml: " + rawPath);
        String route = template;
        JsonNode operation = spec.get("paths").get(route).get(method.toLowerCase());
        assertTrue(operation != null, method + " " + template + " not in docs/openapi.yaml");
        JsonNode response = operation.get("responses").get(Integer.toString(status));
        assertTrue(response != null, method + " " + template + ": status " + status + " is not documented");
        response = resolve(response);
        JsonNode schemaNode = response.get("content").get("application/json").get("schema");
        List<String> problems = OpenApiSchemas.problems(OpenApiSchemas.rooted(spec, schemaNode), body);
        assertTrue(problems.isEmpty(), () -> method + " " + route + " " + status + ": " + problems + " in " + body);
        produced.add(method + " " + route + " " + status);
    }

    static JsonNode resolve(JsonNode node) {
        while (node.has("$ref")) {
            String[] parts = node.get("$ref").asText().substring(2).split("/");
            JsonNode target = spec;
            for (String p : parts) {
                target = target.get(p);
            }
            node = target;
        }
        return node;
    }

    static String shortened(String text) {
        return text.length() <= 80 ? text : text.substring(0, 60) + "...(" + text.length() + " chars)";
    }

    /** Calls the local API; the answer must be documented for the operation and match its schema. */
    static HttpResponse<String> send(LocalRun run, String method, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + run.port() + path))
                .header("Authorization", "Bearer " + token)
                .method(method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        validate(method, path, response.statusCode(), JSON.readTree(response.body()));
        return response;
    }

    /** Whether {@code value} is valid against {@code schemaNode} of the document (its $refs resolved there). */
    static boolean allows(JsonNode schemaNode, JsonNode value) {
        return OpenApiSchemas.problems(OpenApiSchemas.rooted(spec, schemaNode), value).isEmpty();
    }
}
