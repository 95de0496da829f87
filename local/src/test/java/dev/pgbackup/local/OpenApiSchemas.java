package dev.pgbackup.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;

/**
 * Validation against a schema of docs/openapi.yaml (JSON Schema 2020-12, as OpenAPI 3.1 defines it), its
 * {@code #/components/...} references resolved in the document. The validator is built on Jackson 3 while the
 * project reads JSON with Jackson 2: schema and value cross over as JSON text, so no Jackson 3 type leaks here.
 */
final class OpenApiSchemas {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry REGISTRY = SchemaRegistry
            .withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    private OpenApiSchemas() {}

    /** A schema whose keywords are {@code schema}'s, beside the document's components. */
    static ObjectNode rooted(JsonNode document, JsonNode schema) {
        ObjectNode root = JSON.createObjectNode();
        root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        root.set("components", document.get("components"));
        schema.properties().forEach(f -> root.set(f.getKey(), f.getValue()));
        return root;
    }

    /** What is wrong with {@code value} against {@code root} (one of {@link #rooted}'s), each as the validator says it. */
    static List<String> problems(JsonNode root, JsonNode value) {
        List<Error> errors = REGISTRY.getSchema(root.toString(), InputFormat.JSON)
                .validate(value.toString(), InputFormat.JSON);
        return errors.stream().map(Error::toString).toList();
    }
}
