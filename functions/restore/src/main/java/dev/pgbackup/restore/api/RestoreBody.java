package dev.pgbackup.restore.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.http.ApiRequest;
import dev.pgbackup.restore.RestoreRequest;
import dev.pgbackup.restore.RoleOptions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The restore request's body, strictly: {@code filename} and {@code passkey} (strings), and optionally {@code into}
 * ("copy": a new database beside the current one) and {@code tables} / {@code schemas} (a table-only restore, always
 * into a copy), {@code roles} ("create-missing") and {@code ownership} (a boolean): {@link RoleOptions}. Anything
 * else, or anything of another shape, is a 400 before any check runs.
 */
record RestoreBody(String filename, String passkey, RestoreRequest request) {
    static final Set<String> FIELDS = Set.of("filename", "passkey", "into", "tables", "schemas", "roles", "ownership");

    static RestoreBody parse(APIGatewayV2HTTPEvent event, int maxBytes) {
        Map<String, JsonNode> fields = ApiRequest.object(event, maxBytes, FIELDS, false);
        String filename = string(fields, "filename");
        String passkey = string(fields, "passkey");
        boolean copy = false;
        if (fields.containsKey("into")) {
            JsonNode into = fields.get("into");
            if (!into.isTextual() || !RestoreRequest.INTO_COPY.equals(into.textValue())) {
                throw Failure.badRequest("Field 'into' must be \"copy\" (a new database beside the current one); leave "
                        + "it out to restore over the current database");
            }
            copy = true;
        }
        RoleOptions roles = roleOptions(fields);
        List<String> names = new ArrayList<>(names(fields, "tables", true));
        for (String schema : names(fields, "schemas", false)) {
            names.add(schema + ".*");
        }
        if (names.isEmpty()) {
            return new RestoreBody(filename, passkey, (copy ? RestoreRequest.COPY : RestoreRequest.REPLACE)
                    .withRoles(roles));
        }
        // a few tables never replace a whole database: they always go into a copy ("into" may say so, or be left out)
        Set<String> unique = new LinkedHashSet<>(names);
        if (unique.size() > RestoreRequest.MAX_TABLES) {
            throw Failure.badRequest("At most " + RestoreRequest.MAX_TABLES + " tables and schemas in one restore");
        }
        return new RestoreBody(filename, passkey, RestoreRequest.tables(List.copyOf(unique)).withRoles(roles));
    }

    /** {@code "roles": "create-missing"} and {@code "ownership": true|false}, each optional. */
    static RoleOptions roleOptions(Map<String, JsonNode> fields) {
        boolean create = false;
        if (fields.containsKey("roles")) {
            JsonNode roles = fields.get("roles");
            if (!roles.isTextual() || !RoleOptions.CREATE_MISSING.equals(roles.textValue())) {
                throw Failure.badRequest("Field 'roles' must be \"" + RoleOptions.CREATE_MISSING + "\" (create the "
                        + "backup's roles this server lacks); leave it out to leave the server's roles as they are");
            }
            create = true;
        }
        JsonNode ownership = fields.get("ownership");
        if (ownership != null && !ownership.isBoolean()) {
            throw Failure.badRequest("Field 'ownership' must be true or false (true: restore the backup's owners and "
                    + "grants, which needs their roles on this server)");
        }
        return new RoleOptions(create, ownership != null && ownership.booleanValue());
    }

    private static String string(Map<String, JsonNode> fields, String name) {
        JsonNode value = fields.get(name);
        if (value != null && !value.isTextual()) {
            throw Failure.badRequest("Field '" + name + "' must be a string");
        }
        return ApiRequest.required(value == null ? Map.of() : Map.of(name, value.textValue()), name);
    }

    /** "schema.table" names ({@code qualified}) or schema names, 1 to 100 of them, each of valid identifiers. */
    private static List<String> names(Map<String, JsonNode> fields, String field, boolean qualified) {
        JsonNode value = fields.get(field);
        if (value == null) {
            return List.of();
        }
        String shape = qualified ? "schema.table names (e.g. \"public.orders\")" : "schema names (e.g. \"sales\")";
        String rule = "Field '" + field + "' must be a list of 1 to " + RestoreRequest.MAX_TABLES + " " + shape
                + " of letters, digits, '_' and '$', each part starting with a letter or '_', at most 63 characters";
        if (!value.isArray() || value.isEmpty() || value.size() > RestoreRequest.MAX_TABLES) {
            throw Failure.badRequest(rule);
        }
        List<String> names = new ArrayList<>();
        for (JsonNode item : value) {
            String name = item.isTextual() ? item.textValue() : null;
            boolean valid = name != null && (qualified ? RestoreRequest.validTableName(name) && !name.endsWith(".*")
                    : RestoreRequest.IDENTIFIER.matcher(name).matches());
            if (!valid) {
                throw Failure.badRequest(rule);
            }
            names.add(name);
        }
        return names;
    }
}
