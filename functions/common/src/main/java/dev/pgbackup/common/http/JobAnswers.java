package dev.pgbackup.common.http;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStart;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** How a started job is answered over HTTP: 200 when it finished in time, 202 to poll, 500/503 when it failed. */
public final class JobAnswers {
    public static final String STATUS_PATH = "/api/setting/jobs/";
    /** Time kept for answering after the wait, so the function never runs into its own timeout. */
    private static final Duration ANSWER_MARGIN = Duration.ofSeconds(4);

    private JobAnswers() {}

    /** The wait budget, cut short by the API function's own remaining time. */
    public static Deadline waitUntil(Deadline.Ticker ticker, Duration waitBudget, Context context) {
        return Deadline.fromContext(ticker, context, ANSWER_MARGIN).atMost(waitBudget);
    }

    /**
     * @param kind      "backup" or "restore", for the 503 message
     * @param window    how long the job may run on this stack (its worker's timeout less the safety margin)
     * @param onSuccess the fields of the 200 body, from the finished job
     */
    public static APIGatewayV2HTTPResponse answer(JobStart started, String kind, Duration window, AuditLog.Entry audit,
            Function<JobRecord, Map<String, ?>> onSuccess) {
        JobRecord job = started.job();
        audit.with("jobId", job.jobId()).with("filename", job.filename());
        APIGatewayV2HTTPResponse response;
        String result;
        if (started instanceof JobStart.Finished && job.status() == JobRecord.Status.SUCCEEDED) {
            response = ApiResponses.ok(onSuccess.apply(job));
            result = "SUCCEEDED";
        } else if (started instanceof JobStart.Finished) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("success", false);
            body.put("message", job.message());
            body.put("jobId", job.jobId());
            response = ApiResponses.json(failedStatus(job), body);
            audit.with("message", job.message());
            result = "FAILED";
        } else if (started instanceof JobStart.NotLaunched) {
            response = ApiResponses.error(503, "The " + kind + " worker could not be started; try again later");
            audit.with("message", job.diagnostic());
            result = "FAILED";
        } else {
            response = ApiResponses.json(202, running(job, window));
            result = "STARTED";
        }
        audit.with("status", response.getStatusCode()).write(result);
        return response;
    }

    /**
     * A job that failed on a refusal of the caller's request (a database too big for the window: 422) answers
     * with that status; anything else that stopped a started job is a 500.
     */
    static int failedStatus(JobRecord job) {
        if (job.failure() == null) {
            return 500;
        }
        try {
            int status = Failure.Kind.valueOf(job.failure()).status;
            return status >= 400 && status < 500 ? status : 500;
        } catch (IllegalArgumentException e) {
            return 500;
        }
    }

    static Map<String, Object> running(JobRecord job, Duration window) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", true);
        body.put("status", "RUNNING");
        body.put("jobId", job.jobId());
        body.put("filename", job.filename());
        body.put("statusUrl", STATUS_PATH + job.jobId());
        body.put("maxDurationSeconds", window.toSeconds());
        return body;
    }
}
