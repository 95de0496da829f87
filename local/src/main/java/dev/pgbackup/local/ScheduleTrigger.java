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
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Local only ({@code POST /local/scheduled-backup}): sends the backup worker what EventBridge Scheduler sends it
 * (events/scheduled-backup.json's shape, with a new execution id), so the scheduled and on-demand classes of
 * backups can be tried by hand. Not part of template.yaml: in AWS only the schedule invokes the worker this way.
 */
final class ScheduleTrigger implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final WorkerLauncher workers;
    private final String workerFunction;
    private final Config config;

    ScheduleTrigger(WorkerLauncher workers, String workerFunction, Config config) {
        this.workers = workers;
        this.workerFunction = workerFunction;
        this.config = config;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent request, Context context) {
        String executionId = UUID.randomUUID().toString();
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("version", "0");
        event.put("id", executionId);
        event.put("detail-type", "Scheduled Event");
        event.put("source", "aws.events");
        event.put("time", Instant.now().toString());
        event.put("detail", Map.of());
        workers.launch(workerFunction, Json.write(event));
        String jobId = BackupAssignments.scheduledJobId(config, executionId);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", true);
        body.put("message", "Scheduled backup started (as EventBridge would start it)");
        body.put("jobId", jobId);
        body.put("statusUrl", JobAnswers.STATUS_PATH + jobId);
        return ApiResponses.json(202, body);
    }
}
