package dev.pgbackup.restore.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.http.ApiEdge;
import dev.pgbackup.common.http.JobAnswers;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.restore.RestoreRequest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code POST /api/setting/restore} with {@code {"filename","passkey"}} and optionally {@code "into": "copy"} or
 * {@code "tables"} / {@code "schemas"} ({@link RestoreBody}): the safety checks of {@link RestoreChecks}, the lock, then
 * the restore worker; 200, or 202 with the job. The passkey is never logged, echoed or stored.
 */
public class RestoreApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final ApiEdge edge;
    private final Config config;
    private final Deadline.Ticker ticker;
    private final RestoreChecks checks;
    private final RestoreStarter starter;

    public RestoreApiHandler() {
        this(Wiring.fromEnvironment());
    }

    public RestoreApiHandler(Wiring wiring) {
        this(wiring.edge, wiring.config, wiring.ticker, checks(wiring),
                new RestoreStarter(wiring.config, wiring.restoreLock(), wiring.runner, wiring.clock));
    }

    RestoreApiHandler(ApiEdge edge, Config config, Deadline.Ticker ticker, RestoreChecks checks,
            RestoreStarter starter) {
        this.edge = edge;
        this.config = config;
        this.ticker = ticker;
        this.checks = checks;
        this.starter = starter;
    }

    /** The restore checks wired from the stack's parts (the API's, and the scheduled refresh's). */
    static RestoreChecks checks(Wiring w) {
        return new RestoreChecks(w.config, w.passkey, w.objects, w.catalog, w.keys, w.clock);
    }

    /** The scheduled refresh wired from the stack's parts: the backup worker starts it. */
    public static RefreshStarter refresh(Wiring w) {
        return new RefreshStarter(w.config, checks(w), w.restoreLock(), w.jobs, w.runner,
                new RefreshStarter.Sources(w.objects, w.catalog, w.keys),
                new RefreshStarter.Outcomes(w.audit, w.metrics, w.events, w::databaseSecrets), w.clock);
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        return edge.serve("restore.request", "Restore could not be started", event, (who, audit) -> {
            RestoreBody body = RestoreBody.parse(event, config.maxBodyBytes());
            RestoreRequest request = body.request();
            audit.with("into", request.copy() ? RestoreRequest.INTO_COPY : null).with("tables", request.tables())
                    .with("roles", request.roles().encoded());
            BackupObject backup = checks.approve(body.filename(), body.passkey(), request, audit);
            RestoreStarter.Started started = starter.start(backup, who.subject(), request,
                    JobAnswers.waitUntil(ticker, config.waitBudget(), context));
            if (started.replacedStale() != null) {
                audit.with("replacedStaleLockOfJob", started.replacedStale().jobId());
            }
            return JobAnswers.answer(started.start(), "restore", config.restoreWorker().window(), audit,
                    RestoreApiHandler::succeeded);
        });
    }

    /**
     * The worker's message (it says what the backup left out, if it left out anything); a copy's answer also names
     * the new database, which is all a caller needs to use it.
     */
    private static Map<String, Object> succeeded(JobRecord done) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", done.message());
        if (done.database() != null) {
            body.put("database", done.database());
        }
        return body;
    }
}
