package dev.pgbackup.list;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.http.ApiEdge;
import dev.pgbackup.common.http.ApiResponses;
import dev.pgbackup.common.http.JobAnswers;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code GET /api/setting/jobs/{jobId}}: a backup, restore or restore drill job of this environment, as far as an
 * operator needs it (never the scrubbed diagnostic, which stays in the record and the log).
 */
public class JobStatusHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final ApiEdge edge;
    private final JobStore jobs;
    /** The limits of the function that runs each type of job: a job's window is its function's. */
    private final Function<JobRecord.Type, Config.WorkerLimits> limits;

    public JobStatusHandler() {
        this(Wiring.fromEnvironment());
    }

    public JobStatusHandler(Wiring wiring) {
        this(wiring.edge, wiring.jobs, wiring::limitsOf);
    }

    JobStatusHandler(ApiEdge edge, JobStore jobs, Function<JobRecord.Type, Config.WorkerLimits> limits) {
        this.edge = edge;
        this.jobs = jobs;
        this.limits = limits;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        return edge.serve("job.status", "The job status could not be read", event, (who, audit) -> {
            String id = event.getPathParameters() != null && event.getPathParameters().get("jobId") != null
                    ? event.getPathParameters().get("jobId") : lastSegment(event.getRawPath());
            // only a UUID reaches the store: a path or traversal never does
            JobRecord job = jobs.find(id).orElseThrow(() -> Failure.notFound("Job not found"));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("success", job.status() != JobRecord.Status.FAILED);
            body.putAll(view(job, limits.apply(job.type()).window()));
            audit.with("jobId", job.jobId()).with("jobStatus", job.status().name()).with("status", 200).write("OK");
            return ApiResponses.json(200, body);
        });
    }

    /** @param window how long a job of this type may run on this stack */
    static Map<String, Object> view(JobRecord job, java.time.Duration window) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("jobId", job.jobId());
        view.put("type", job.type().name());
        view.put("status", job.status().name());
        view.put("environment", job.environment());
        view.put("filename", job.filename());
        if (job.into() != null) {
            view.put("into", job.into());
        }
        if (job.tables() != null) {
            view.put("tables", job.tables());
        }
        if (job.roles() != null) {
            view.put("roles", job.roles());
        }
        if (job.database() != null) {
            view.put("database", job.database());
        }
        view.put("createdAt", job.createdAt().toString());
        if (job.finishedAt() != null) {
            view.put("finishedAt", job.finishedAt().toString());
            view.put("durationMs", job.durationMs());
        }
        if (job.bytes() != null) {
            view.put("bytes", job.bytes());
        }
        if (job.message() != null) {
            view.put("message", job.message());
        }
        if (job.details() != null) {
            view.put("details", job.details());
        }
        if (job.progress() != null) {
            view.put("progress", job.progress());
        }
        if (job.timings() != null) {
            view.put("timings", job.timings());
        }
        view.put("maxDurationSeconds", window.toSeconds());
        return view;
    }

    private static String lastSegment(String path) {
        if (path == null) {
            return "";
        }
        int at = path.indexOf(JobAnswers.STATUS_PATH);
        return at < 0 ? "" : path.substring(at + JobAnswers.STATUS_PATH.length());
    }
}
