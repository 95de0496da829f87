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
import java.util.regex.Pattern;

/**
 * {@code GET /api/setting/backups} (every environment's backups, newest first, optional
 * {@code ?environment=}) and {@code GET /api/setting/jobs/{jobId}} (a job's status).
 *
 * <p>Only objects whose key is one of this app's backup names are listed: job records, locks, other apps'
 * backups and anything under a prefix never appear. The listing follows every ListObjectsV2 page; a page
 * that fails fails the request rather than answering with a partial list.
 */
public class ListBackupsHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    static final String JOBS_PATH = "/api/setting/jobs/";
    /** Same shape as an environment name in the configuration. */
    private static final Pattern ENVIRONMENT = Pattern.compile("[a-z0-9][a-z0-9_]*(?:-[a-z0-9_]+)*");

    private final Services services;

    public ListBackupsHandler() {
        this(Services.fromEnvironment());
    }

    public ListBackupsHandler(Services services) {
        this.services = services;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        boolean jobStatus = isJobStatus(event);
        AuditLog.Entry audit = services.audit.entry(jobStatus ? "job.status" : "backups.list");
        APIGatewayV2HTTPResponse response;
        try {
            JwtAuthenticator.Result who = services.auth.authenticate(event.getHeaders(), audit);
            if (!who.allowed()) {
                return who.refusal();
            }
            response = jobStatus ? jobStatus(event, audit) : list(event, audit);
        } catch (BucketUnavailableException e) {
            response = ApiResponses.error(500, e.getMessage());
        } catch (RuntimeException e) {
            // an S3 page that failed (no partial list), SSM unavailable: no internals in the answer
            audit.with("error", e.getClass().getSimpleName());
            response = ApiResponses.error(500, (jobStatus ? "The job status" : "The backups") + " could not be read: "
                    + e.getClass().getSimpleName());
        }
        audit.with("status", response.getStatusCode()).write(response.getStatusCode() < 400 ? "OK" : "FAILED");
        return response;
    }

    /** By route key ({@code GET /api/setting/jobs/{jobId}}), else by path (which may carry a stage prefix). */
    static boolean isJobStatus(APIGatewayV2HTTPEvent event) {
        String route = event.getRouteKey();
        if (route != null && !route.isBlank() && !"$default".equals(route)) {
            return route.contains(JOBS_PATH);
        }
        String path = event.getRawPath() == null ? "" : event.getRawPath();
        return path.contains(JOBS_PATH);
    }

    private APIGatewayV2HTTPResponse list(APIGatewayV2HTTPEvent event, AuditLog.Entry audit) {
        String environment = event.getQueryStringParameters() == null ? null
                : event.getQueryStringParameters().get("environment");
        if (environment != null && !environment.isBlank()
                && (environment.length() > 64 || !ENVIRONMENT.matcher(environment).matches())) {
            return ApiResponses.error(400, "Invalid environment: lower-case letters, digits, '_' or '-' expected");
        }
        boolean filtered = environment != null && !environment.isBlank();
        services.store.checkBucket();
        List<Map<String, Object>> backups = services.store.listBackups().stream()
                .filter(b -> !filtered || b.name().environment().equals(environment))
                .map(ListBackupsHandler::entry)
                .toList();
        audit.with("environment", filtered ? environment : null).with("count", backups.size());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("backups", backups);
        body.put("count", backups.size());
        return ApiResponses.ok(body);
    }

    private static Map<String, Object> entry(BackupObject b) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("filename", b.filename());
        e.put("lastModified", b.lastModified().toString());
        e.put("size", b.size());
        return e;
    }

    private APIGatewayV2HTTPResponse jobStatus(APIGatewayV2HTTPEvent event, AuditLog.Entry audit) {
        String id = event.getPathParameters() != null && event.getPathParameters().get("jobId") != null
                ? event.getPathParameters().get("jobId")
                : lastSegment(event.getRawPath());
        // JobStore accepts only a UUID: a path or traversal never reaches S3
        Optional<JobRecord> job = services.jobs.find(id);
        if (job.isEmpty()) {
            return ApiResponses.error(404, "Job not found");
        }
        audit.with("jobId", job.get().jobId()).with("jobStatus", job.get().status().name());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", job.get().status() != JobRecord.Status.FAILED);
        body.putAll(Services.jobView(job.get()));
        return ApiResponses.json(200, body);
    }

    private static String lastSegment(String path) {
        if (path == null) {
            return "";
        }
        int at = path.indexOf(JOBS_PATH);
        return at < 0 ? "" : path.substring(at + JOBS_PATH.length());
    }
}
