package dev.pgbackup.backup;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.ApiRequest;
import dev.pgbackup.common.ApiResponses;
import dev.pgbackup.common.AuditLog;
import dev.pgbackup.common.BackupName;
import dev.pgbackup.common.BucketUnavailableException;
import dev.pgbackup.common.JobRecord;
import dev.pgbackup.common.JobStore;
import dev.pgbackup.common.JwtAuthenticator;
import dev.pgbackup.common.Services;
import java.util.Map;
import java.util.Set;

/** {@code POST /api/setting/backup}: authenticate, start the backup worker, answer 200 or 202. */
public class BackupApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final Services services;

    public BackupApiHandler() {
        this(Services.fromEnvironment());
    }

    public BackupApiHandler(Services services) {
        this.services = services;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        AuditLog.Entry audit = services.audit.entry("backup.request")
                .with("environment", services.config.environment());
        try {
            return handle(event, context, audit);
        } catch (RuntimeException e) {
            // SSM or S3 unavailable, a missing parameter: a server-side fault, in the JSON contract
            audit.with("status", 500).with("error", e.getClass().getSimpleName()).write("FAILED");
            return ApiResponses.error(500, "Backup could not be started: " + e.getClass().getSimpleName()
                    + (e instanceof IllegalStateException ? ": " + e.getMessage() : ""));
        }
    }

    private APIGatewayV2HTTPResponse handle(APIGatewayV2HTTPEvent event, Context context, AuditLog.Entry audit) {
        JwtAuthenticator.Result who = services.auth.authenticate(event.getHeaders(), audit);
        if (!who.allowed()) {
            return who.refusal();
        }
        String filename = BackupName.create(services.config, services.clock.instant()).filename();
        try {
            ApiRequest.fields(event, services.config.maxBodyBytes(), Set.of(), true);
            services.store.checkBucket();
            if (services.store.find(filename).isPresent()) {
                // names have a one-second resolution and backups are never overwritten
                throw new ApiRequest.Rejected(409, "A backup named " + filename
                        + " already exists (another backup started this second); retry in a moment");
            }
        } catch (ApiRequest.Rejected e) {
            audit.with("status", e.status()).write("REJECTED");
            return ApiResponses.error(e.status(), e.getMessage());
        } catch (BucketUnavailableException e) {
            audit.with("status", 500).with("message", e.getMessage()).write("FAILED");
            return ApiResponses.error(500, e.getMessage());
        }
        JobRecord job = JobRecord.started(JobStore.newJobId(), JobRecord.Type.BACKUP, services.config.environment(),
                filename, who.subject(), "api", services.clock.instant());
        APIGatewayV2HTTPResponse response = services.jobRunner.startAndWait(job,
                services.config.backupWorkerFunction(), context,
                done -> ApiResponses.ok(Map.of(
                        "message", "Database backup created successfully: " + done.filename(),
                        "filename", done.filename())));
        audit.with("jobId", job.jobId()).with("filename", filename).with("status", response.getStatusCode())
                .write(response.getStatusCode() == 200 ? "SUCCEEDED" : response.getStatusCode() == 202 ? "STARTED" : "FAILED");
        return response;
    }
}
