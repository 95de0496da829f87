package dev.pgbackup.local;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.backup.BackupAssignments;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.http.ApiResponses;
import dev.pgbackup.common.http.JobAnswers;
import dev.pgbackup.common.jobs.WorkerLauncher;
import dev.pgbackup.restore.api.RefreshStarter;
import dev.pgbackup.restore.drill.RestoreDrillHandler;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Local only ({@code POST /local/scheduled-backup}, {@code POST /local/restore-drill}, {@code POST /local/refresh}):
 * sends a worker what EventBridge Scheduler sends it (the shape of events/scheduled-backup.json, restore-drill.json
 * and scheduled-refresh.json, with a new execution id), so scheduled backups, restore drills and refreshes can be
 * tried by hand. Not part of template.yaml: in AWS only the schedules invoke these functions this way.
 */
final class ScheduleTrigger implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final WorkerLauncher workers;
    private final String workerFunction;
    private final Map<String, Object> detail;
    private final UnaryOperator<String> jobOfExecution;
    private final String started;
    private final String off;

    private ScheduleTrigger(WorkerLauncher workers, String workerFunction, Map<String, Object> detail,
            UnaryOperator<String> jobOfExecution, String started, String off) {
        this.workers = workers;
        this.workerFunction = workerFunction;
        this.detail = detail;
        this.jobOfExecution = jobOfExecution;
        this.started = started;
        this.off = off;
    }

    static ScheduleTrigger backup(WorkerLauncher workers, String workerFunction, Config config) {
        return new ScheduleTrigger(workers, workerFunction, Map.of(),
                id -> BackupAssignments.scheduledJobId(config, id),
                "Scheduled backup started (as EventBridge would start it)", null);
    }

    static ScheduleTrigger drill(WorkerLauncher workers, String drillFunction, Config config) {
        return new ScheduleTrigger(workers, drillFunction, Map.of("task", "restore-drill"),
                id -> RestoreDrillHandler.scheduledJobId(config, id),
                "Restore drill started (as EventBridge would start it)", null);
    }

    /** The refresh schedule's event to the backup worker; refused when this run has no REFRESH_SOURCE_ENVIRONMENT. */
    static ScheduleTrigger refresh(WorkerLauncher workers, String backupWorkerFunction, Config config) {
        return new ScheduleTrigger(workers, backupWorkerFunction, RefreshStarter.detail(),
                id -> RefreshStarter.scheduledJobId(config, id),
                "Refresh of '" + config.environment() + "' from '" + config.refresh().sourceEnvironment()
                        + "' started (as EventBridge would start it)",
                config.refresh().source().isPresent() ? null : "Refresh is off in this run: start it with "
                        + "REFRESH_SOURCE_ENVIRONMENT=<environment> (e.g. production)");
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent request, Context context) {
        if (off != null) {
            return ApiResponses.error(409, off);
        }
        String executionId = UUID.randomUUID().toString();
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("version", "0");
        event.put("id", executionId);
        event.put("detail-type", "Scheduled Event");
        event.put("source", "aws.events");
        event.put("time", Instant.now().toString());
        event.put("detail", detail);
        workers.launch(workerFunction, Json.write(event));
        String jobId = jobOfExecution.apply(executionId);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", true);
        body.put("message", started);
        body.put("jobId", jobId);
        body.put("statusUrl", JobAnswers.STATUS_PATH + jobId);
        return ApiResponses.json(202, body);
    }
}
