package dev.pgbackup.common.db;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.config.DatabaseSource;
import dev.pgbackup.common.failure.Failure;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A database secret in the shape RDS and the Secrets Manager console write:
 * {@code {"engine":"postgres","host":...,"port":5432,"username":...,"password":...,"dbname":...}}. RDS-managed
 * master secrets hold only the user name and password: the host, port and database then come from the stack
 * (DB_HOST, DB_PORT, DB_NAME), which also win over the secret's own values when set. Errors never quote the
 * secret's text.
 */
final class RdsSecret {
    static final int DEFAULT_PORT = 5432;

    private RdsSecret() {}

    static DbConnection parse(String text, DatabaseSource source) {
        JsonNode secret;
        try {
            secret = Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw invalid("is not JSON");
        }
        if (secret == null || !secret.isObject()) {
            throw invalid("is not a JSON object");
        }
        String engine = text(secret, "engine");
        if (engine != null && !engine.toLowerCase(Locale.ROOT).contains("postgres")) {
            throw invalid("is for the engine '" + engine + "', not PostgreSQL");
        }
        String host = source.host() != null ? source.host() : text(secret, "host");
        Integer port = source.port() != null ? source.port() : port(secret);
        String database = source.name() != null ? source.name() : text(secret, "dbname");
        String user = text(secret, "username");
        String password = text(secret, "password");
        List<String> missing = new ArrayList<>();
        addIfNull(missing, host, "host (or the stack parameter DbHost)");
        addIfNull(missing, database, "dbname (or the stack parameter DbName)");
        addIfNull(missing, user, "username");
        if (!source.iamAuth()) {
            addIfNull(missing, password, "password");
        }
        if (!missing.isEmpty()) {
            throw invalid("lacks " + String.join(", ", missing));
        }
        return new DbConnection(host, port == null ? DEFAULT_PORT : port, database, user, password, source.sslMode(),
                source.sslRootCert());
    }

    private static void addIfNull(List<String> missing, String value, String what) {
        if (value == null) {
            missing.add(what);
        }
    }

    private static String text(JsonNode secret, String field) {
        JsonNode node = secret.get(field);
        return node == null || node.isNull() || node.asText().isBlank() ? null : node.asText();
    }

    private static Integer port(JsonNode secret) {
        JsonNode node = secret.get("port");
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            int port = node.isNumber() ? node.intValue() : Integer.parseInt(node.asText().trim());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid("has a port that is not a port number");
    }

    private static Failure invalid(String what) {
        return Failure.server("The database secret in DB_SECRET_ARN " + what + " (expected the RDS shape: "
                + "{\"host\",\"port\",\"username\",\"password\",\"dbname\"})");
    }
}
