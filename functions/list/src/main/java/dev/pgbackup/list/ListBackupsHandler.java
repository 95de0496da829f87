package dev.pgbackup.list;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.ApiResponses;
import dev.pgbackup.common.AuditLog;
import dev.pgbackup.common.BackupObject;
import dev.pgbackup.common.BucketUnavailableException;
import dev.pgbackup.common.JobRecord;
import dev.pgbackup.common.JwtAuthenticator;
import dev.pgbackup.common.Services;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /api/setting/backups} (every environment's backups, newest first, optional
 * {@code ?environment=}) and {@code GET /api/setting/jobs/{jobId}} (a job's status).
 */
public class ListBackupsHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final Services services;

    public ListBackupsHandler() {
        this(Services.fromEnvironment());
    }

    public ListBackupsHandler(Services services) {
        this.services = services;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        String path = event.getRawPath() == null ? "" : event.getRawPath();
        boolean jobStatus = path.startsWith("/api/setting/jobs/");
        AuditLog.Entry audit = services.audit.entry(jobStatus ? "job.status" : "backups.list");
        JwtAuthenticator.Result who = services.auth.authenticate(event.getHeaders());
        audit.with("subject", who.subject());
        if (!who.allowed()) {
            audit.with("status", who.status()).write("DENIED");
            return ApiResponses.error(who.status(), who.message());
        }
        APIGatewayV2HTTPResponse response;
        try {
            response = jobStatus ? jobStatus(event) : list(event);
        } catch (BucketUnavailableException e) {
            response = ApiResponses.error(500, e.getMessage());
        }
        audit.with("status", response.getStatusCode()).write(response.getStatusCode() < 400 ? "OK" : "FAILED");
        return response;
    }

    private APIGatewayV2HTTPResponse list(APIGatewayV2HTTPEvent event) {
        services.store.checkBucket();
        String environment = event.getQueryStringParameters() == null ? null
                : event.getQueryStringParameters().get("environment");
        List<Map<String, Object>> backups = services.store.listBackups().stream()
                .filter(b -> environment == null || environment.isBlank() || b.name().environment().equals(environment))
                .map(ListBackupsHandler::entry)
                .toList();
        return ApiResponses.ok(Map.of("backups", backups, "count", backups.size()));
    }

    private static Map<String, Object> entry(BackupObject b) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("filename", b.filename());
        e.put("lastModified", b.lastModified().toString());
        e.put("size", b.size());
        return e;
    }

    private APIGatewayV2HTTPResponse jobStatus(APIGatewayV2HTTPEvent event) {
        String id = event.getPathParameters() != null && event.getPathParameters().get("jobId") != null
                ? event.getPathParameters().get("jobId")
                : event.getRawPath().substring("/api/setting/jobs/".length());
        Optional<JobRecord> job = services.jobs.find(id);
        if (job.isEmpty()) {
            return ApiResponses.error(404, "Job not found");
        }
        Map<String, Object> body = new LinkedHashMap<>(Services.jobView(job.get()));
        body.put("success", job.get().status() != JobRecord.Status.FAILED);
        return ApiResponses.json(200, body);
    }
}
