package dev.pgbackup.backup;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.http.ApiEdge;
import dev.pgbackup.common.http.ApiRequest;
import dev.pgbackup.common.http.JobAnswers;
import dev.pgbackup.common.jobs.JobStart;
import dev.pgbackup.common.time.Deadline;
import java.util.Map;
import java.util.Set;

/** {@code POST /api/setting/backup}: authenticate, start the backup worker, answer 200 or 202. */
public class BackupApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final ApiEdge edge;
    private final Config config;
    private final Deadline.Ticker ticker;
    private final BackupStarter starter;

    public BackupApiHandler() {
        this(Wiring.fromEnvironment());
    }

    public BackupApiHandler(Wiring wiring) {
        this(wiring.edge, wiring.config, wiring.ticker, new BackupStarter(wiring.config, wiring.objects, wiring.catalog,
                wiring.keys, wiring.backupLock(), wiring.runner, wiring.clock));
    }

    BackupApiHandler(ApiEdge edge, Config config, Deadline.Ticker ticker, BackupStarter starter) {
        this.edge = edge;
        this.config = config;
        this.ticker = ticker;
        this.starter = starter;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        return edge.serve("backup.request", "Backup could not be started", event, (who, audit) -> {
            ApiRequest.fields(event, config.maxBodyBytes(), Set.of(), true);
            JobStart started = starter.start(who.subject(),
                    JobAnswers.waitUntil(ticker, config.waitBudget(), context));
            return JobAnswers.answer(started, "backup", config.backupWorker().window(), audit, done -> Map.of(
                    "message", "Database backup created successfully: " + done.filename(),
                    "filename", done.filename()));
        });
    }
}
