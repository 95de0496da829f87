package dev.pgbackup.restore;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.http.ApiRequest;
import dev.pgbackup.common.http.JobAnswers;
import dev.pgbackup.common.storage.BackupObject;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /api/setting/restore} with {@code {"filename","passkey"}}: the safety checks of
 * {@link RestoreChecks}, the lock, then the restore worker; 200, or 202 with the job. The passkey is never
 * logged, echoed or stored.
 */
public class RestoreApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    static final Set<String> FIELDS = Set.of("filename", "passkey");

    private final Wiring wiring;
    private final RestoreChecks checks;
    private final RestoreStarter starter;

    public RestoreApiHandler() {
        this(Wiring.fromEnvironment());
    }

    public RestoreApiHandler(Wiring wiring) {
        this.wiring = wiring;
        this.checks = new RestoreChecks(wiring.config, wiring.passkey, wiring.objects, wiring.catalog, wiring.keys,
                wiring.clock);
        this.starter = new RestoreStarter(wiring.config, wiring.restoreLock(), wiring.runner, wiring.clock);
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        return wiring.edge.serve("restore.request", "Restore could not be started", event, (who, audit) -> {
            Map<String, String> fields = ApiRequest.fields(event, wiring.config.maxBodyBytes(), FIELDS, false);
            String filename = ApiRequest.required(fields, "filename");
            String passkey = ApiRequest.required(fields, "passkey");
            BackupObject backup = checks.approve(filename, passkey, audit);
            RestoreStarter.Started started = starter.start(backup, who.subject(), JobAnswers.waitUntil(wiring, context));
            if (started.replacedStale() != null) {
                audit.with("replacedStaleLockOfJob", started.replacedStale().jobId());
            }
            return JobAnswers.answer(started.start(), "restore", wiring.config.restoreWorker().window(), audit,
                    // the worker's message: it says what the backup left out, if it left out anything
                    done -> Map.of("message", done.message()));
        });
    }
}
