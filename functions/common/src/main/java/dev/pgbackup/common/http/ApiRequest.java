package dev.pgbackup.common.http;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.failure.Failure;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Strict reading of a JSON request body: bounded size, an object, only known string fields (400/413 otherwise). */
public final class ApiRequest {
    private static final ObjectReader READER = Json.MAPPER.reader()
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ApiRequest() {}

    /** The body as bytes; 413 past {@code maxBytes}. An absent body is empty. */
    static byte[] body(APIGatewayV2HTTPEvent event, int maxBytes) {
        String raw = event.getBody();
        if (raw == null) {
            return new byte[0];
        }
        // cheap bound before decoding: base64 is 4/3 of the bytes, UTF-8 at most 4 bytes a char
        if (raw.length() > maxBytes * 4L) {
            throw tooLarge(maxBytes);
        }
        byte[] bytes;
        if (event.getIsBase64Encoded()) {
            try {
                bytes = Base64.getDecoder().decode(raw);
            } catch (IllegalArgumentException e) {
                throw Failure.badRequest("Request body is not valid base64");
            }
        } else {
            bytes = raw.getBytes(StandardCharsets.UTF_8);
        }
        if (bytes.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        return bytes;
    }

    private static Failure tooLarge(int maxBytes) {
        return new Failure(Failure.Kind.TOO_LARGE, "Request body too large (at most " + maxBytes + " bytes)");
    }

    /** A required, non-empty string field. */
    public static String required(Map<String, String> fields, String name) {
        String value = fields.get(name);
        if (value == null || value.isEmpty()) {
            throw Failure.badRequest("Field '" + name + "' is required");
        }
        return value;
    }

    /**
     * The body's fields, which must all be strings and among {@code allowed}; an empty body is an empty
     * map when {@code emptyAllowed}. Unknown fields are refused: a typo must not silently change meaning.
     */
    public static Map<String, String> fields(APIGatewayV2HTTPEvent event, int maxBytes, Set<String> allowed,
            boolean emptyAllowed) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : object(event, maxBytes, allowed, emptyAllowed).entrySet()) {
            if (!field.getValue().isTextual()) {
                throw Failure.badRequest("Field '" + field.getKey() + "' must be a string");
            }
            fields.put(field.getKey(), field.getValue().textValue());
        }
        return fields;
    }

    /**
     * The body's fields as JSON values, all among {@code allowed} (unknown fields are refused), for an endpoint
     * whose fields are not all strings; the caller checks each value's type.
     */
    public static Map<String, JsonNode> object(APIGatewayV2HTTPEvent event, int maxBytes, Set<String> allowed,
            boolean emptyAllowed) {
        byte[] bytes = body(event, maxBytes);
        if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            if (emptyAllowed) {
                return Map.of();
            }
            throw Failure.badRequest("Request body must be a JSON object");
        }
        JsonNode node;
        try {
            node = READER.readTree(bytes);
        } catch (java.io.IOException e) {
            throw Failure.badRequest("Request body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw Failure.badRequest("Request body must be a JSON object");
        }
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!allowed.contains(field.getKey())) {
                unknown.add(printable(field.getKey()));
                continue;
            }
            fields.put(field.getKey(), field.getValue());
        }
        if (!unknown.isEmpty()) {
            throw Failure.badRequest("Unknown field(s): " + String.join(", ", unknown)
                    + (allowed.isEmpty() ? " (this endpoint takes no fields)"
                            : " (allowed: " + String.join(", ", allowed) + ")"));
        }
        return fields;
    }

    /** Echoes attacker-controlled text only in a short, printable form. */
    static String printable(String text) {
        String cleaned = text.replaceAll("[^\\x20-\\x7E]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "..." : cleaned;
    }
}
