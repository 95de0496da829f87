package dev.pgbackup.list;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.http.ApiEdge;
import dev.pgbackup.common.http.ApiResponses;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.ObjectStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/setting/backups}: every environment's backups, newest first, optionally {@code ?environment=}.
 * Only objects whose key is one of this app's backup names are listed: state records, other apps' backups and
 * anything under a prefix never appear. The listing follows every page; a page that fails fails the request
 * rather than answering with a partial list.
 */
public class ListBackupsHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final ApiEdge edge;
    private final ObjectStore objects;
    private final BackupCatalog catalog;

    public ListBackupsHandler() {
        this(Wiring.fromEnvironment());
    }

    public ListBackupsHandler(Wiring wiring) {
        this(wiring.edge, wiring.objects, wiring.catalog);
    }

    ListBackupsHandler(ApiEdge edge, ObjectStore objects, BackupCatalog catalog) {
        this.edge = edge;
        this.objects = objects;
        this.catalog = catalog;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        return edge.serve("backups.list", "The backups could not be read", event, (who, audit) -> {
            String environment = event.getQueryStringParameters() == null ? null
                    : event.getQueryStringParameters().get("environment");
            // absent or empty: every environment; anything else must be an environment a backup name can carry
            boolean filtered = environment != null && !environment.isEmpty();
            if (filtered && !BackupName.isEnvironment(environment)) {
                throw Failure.badRequest("Invalid environment: at most " + BackupName.MAX_ENVIRONMENT_LENGTH
                        + " lower-case letters, digits, '_' or '-' expected");
            }
            objects.checkBucket();
            List<Map<String, Object>> backups = catalog.listAll().stream()
                    .filter(b -> !filtered || b.environment().equals(environment))
                    .map(ListBackupsHandler::entry)
                    .toList();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("backups", backups);
            body.put("count", backups.size());
            audit.with("filter", filtered ? environment : null).with("count", backups.size()).with("status", 200)
                    .write("OK");
            return ApiResponses.ok(body);
        });
    }

    private static Map<String, Object> entry(BackupObject b) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("filename", b.filename());
        e.put("lastModified", b.lastModified().toString());
        e.put("size", b.size());
        return e;
    }
}
