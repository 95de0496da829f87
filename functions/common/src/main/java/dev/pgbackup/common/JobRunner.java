package dev.pgbackup.common;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import com.amazonaws.services.lambda.runtime.Context;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The API side of a long job: record it, hand it to a worker, and wait up to the budget. Small databases
 * get the old synchronous answer (200); larger ones get 202 and a status URL to poll.
 */
public class JobRunner {
    public static final String STATUS_PATH = "/api/setting/jobs/";

    private final JobStore jobs;
    private final Supplier<WorkerLauncher> launcher;
    private volatile WorkerLauncher launcherInstance;
    private final Duration waitBudget;
    private final Clock clock;

    public JobRunner(JobStore jobs, Supplier<WorkerLauncher> launcher, Duration waitBudget, Clock clock) {
        this.jobs = jobs;
        this.launcher = launcher;
        this.waitBudget = waitBudget;
        this.clock = clock;
    }

    /** Time kept for answering after the wait, so the function never runs into its own timeout. */
    private static final Duration ANSWER_MARGIN = Duration.ofSeconds(4);

    /**
     * Records the job, launches the worker and waits. Once the worker is launched this never throws:
     * a failed status read keeps waiting and the worst answer is 202, because a caller that saw an error
     * would retry (or release a lock) while the job is in fact running. 503 means the worker never started.
     */
    public APIGatewayV2HTTPResponse startAndWait(JobRecord job, String workerFunction, Context context,
                                                 Function<JobRecord, APIGatewayV2HTTPResponse> onSuccess) {
        jobs.save(job);
        try {
            launcher().launch(workerFunction, Json.write(Map.of("jobId", job.jobId())));
        } catch (RuntimeException e) {
            jobs.save(job.failed(clock.instant(), "The worker could not be started"));
            return ApiResponses.error(503, "The " + job.type().name().toLowerCase() + " worker could not be started; try again later");
        }
        Duration budget = waitBudget;
        if (context != null) {
            Duration left = Duration.ofMillis(context.getRemainingTimeInMillis()).minus(ANSWER_MARGIN);
            budget = left.compareTo(budget) < 0 ? left : budget;
        }
        // a monotonic deadline: the injected clock is business time (names, records), not a stopwatch
        long until = System.nanoTime() + budget.toNanos();
        long pause = 200;
        while (System.nanoTime() - until < 0) {
            try {
                Thread.sleep(Math.max(1, Math.min(pause, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            pause = Math.min(1000, pause * 2);
            JobRecord current;
            try {
                current = jobs.find(job.jobId()).orElse(job);
            } catch (RuntimeException e) {
                continue; // a transient S3 error: the job runs regardless, keep waiting or answer 202
            }
            if (current.status() == JobRecord.Status.SUCCEEDED) {
                return onSuccess.apply(current);
            }
            if (current.status() == JobRecord.Status.FAILED) {
                return ApiResponses.error(500, current.message());
            }
        }
        return ApiResponses.json(202, running(job));
    }

    private WorkerLauncher launcher() {
        if (launcherInstance == null) {
            launcherInstance = launcher.get();
        }
        return launcherInstance;
    }

    public static Map<String, Object> running(JobRecord job) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", true);
        body.put("status", "RUNNING");
        body.put("jobId", job.jobId());
        body.put("filename", job.filename());
        body.put("statusUrl", STATUS_PATH + job.jobId());
        return body;
    }
}
