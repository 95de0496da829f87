package dev.pgbackup.list;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.http.ApiEdge;
import dev.pgbackup.common.http.ApiResponses;
import dev.pgbackup.common.retention.RetentionPolicy;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.ObjectStore;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/setting/retention}: the dry run of retention for this environment. What a retention run at this
 * moment would keep and delete, each with its reasons, from the same policy and listing the backup worker uses.
 * It only lists: its function may not delete, read or write any object.
 */
public class RetentionPreviewHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final ApiEdge edge;
    private final Config config;
    private final ObjectStore objects;
    private final BackupCatalog catalog;
    private final Clock clock;

    public RetentionPreviewHandler() {
        this(Wiring.fromEnvironment());
    }

    public RetentionPreviewHandler(Wiring wiring) {
        this(wiring.edge, wiring.config, wiring.objects, wiring.catalog, wiring.clock);
    }

    RetentionPreviewHandler(ApiEdge edge, Config config, ObjectStore objects, BackupCatalog catalog, Clock clock) {
        this.edge = edge;
        this.config = config;
        this.objects = objects;
        this.catalog = catalog;
        this.clock = clock;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        return edge.serve("retention.preview", "The retention preview could not be computed", event,
                (who, audit) -> {
                    objects.checkBucket();
                    // no backup was just made: nothing is spared for that reason, nothing waits for a listing
                    RetentionPolicy.Plan plan = new RetentionPolicy(config.retention(), config.timeZone())
                            .plan(catalog.listMine(), null, clock.instant());
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("environment", config.environment());
                    body.put("policy", policy(config));
                    body.put("keep", plan.kept().stream().map(RetentionPreviewHandler::kept).toList());
                    body.put("delete", plan.deleted().stream().map(RetentionPreviewHandler::deleted).toList());
                    audit.with("keep", plan.kept().size()).with("delete", plan.deleted().size()).with("status", 200)
                            .write("OK");
                    return ApiResponses.ok(body);
                });
    }

    static Map<String, Object> policy(Config config) {
        Config.RetentionSettings r = config.retention();
        Map<String, Object> scheduled = new LinkedHashMap<>();
        scheduled.put("rule", r.tiered() ? "tiers" : "count");
        scheduled.put("count", r.scheduledKeep());
        scheduled.put("dailyDays", r.dailyDays());
        scheduled.put("weeklyWeeks", r.weeklyWeeks());
        scheduled.put("monthlyMonths", r.monthlyMonths());
        scheduled.put("minCount", r.minCount());
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("timeZone", config.timeZone().getId());
        policy.put("scheduled", scheduled);
        policy.put("onDemand", Map.of("count", r.onDemandKeep(), "maxAgeDays", r.onDemandMaxAge().toDays()));
        return policy;
    }

    private static Map<String, Object> kept(RetentionPolicy.Kept k) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("filename", k.filename());
        entry.put("class", k.entry().backupClass().key);
        entry.put("reasons", List.copyOf(k.reasons()));
        return entry;
    }

    private static Map<String, Object> deleted(RetentionPolicy.Deletion d) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("filename", d.filename());
        entry.put("class", d.entry().backupClass().key);
        entry.put("reason", d.reason());
        return entry;
    }
}
