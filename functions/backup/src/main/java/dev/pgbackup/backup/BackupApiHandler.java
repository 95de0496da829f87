package dev.pgbackup.backup;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.http.ApiRequest;
import dev.pgbackup.common.http.JobAnswers;
import dev.pgbackup.common.jobs.JobStart;
import java.util.Map;
import java.util.Set;

/** {@code POST /api/setting/backup}: authenticate, start the backup worker, answer 200 or 202. */
public class BackupApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final Wiring wiring;
    private final BackupStarter starter;

    public BackupApiHandler() {
        this(Wiring.fromEnvironment());
    }

    public BackupApiHandler(Wiring wiring) {
        this.wiring = wiring;
        this.starter = new BackupStarter(wiring.config, wiring.objects, wiring.catalog, wiring.keys, wiring.backupLock(),
                wiring.runner, wiring.clock);
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        return wiring.edge.serve("backup.request", "Backup could not be started", event, (who, audit) -> {
            ApiRequest.fields(event, wiring.config.maxBodyBytes(), Set.of(), true);
            JobStart started = starter.start(who.subject(),
                    JobAnswers.waitUntil(wiring.ticker, wiring.config.waitBudget(), context));
            return JobAnswers.answer(started, "backup", wiring.config.backupWorker().window(), audit, done -> Map.of(
                    "message", "Database backup created successfully: " + done.filename(),
                    "filename", done.filename()));
        });
    }
}
