package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.backup.BackupApiHandler;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.restore.api.RestoreApiHandler;
import dev.pgbackup.restore.drill.RestoreDrillHandler;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * One environment's stack driven as a web application drives it: the API handlers with their workers behind them
 * (run on threads as Lambda runs asynchronous invokes), each job followed to its end through its record.
 */
final class ApiStack {
    /** What a job ended as: the API's answer and the job's record. */
    record Done(APIGatewayV2HTTPResponse answer, JobRecord job) {
        boolean succeeded() {
            return job != null && job.status() == JobRecord.Status.SUCCEEDED;
        }

        @Override
        public String toString() {
            return answer.getStatusCode() + " " + answer.getBody() + (job == null ? "" : " / job " + job.status() + ": "
                    + job.message() + " [" + job.diagnostic() + "]");
        }
    }

    final TestStack stack;
    private final Map<String, String> auth;

    ApiStack(TestStack stack) {
        this.stack = stack;
        BackupWorkerHandler backups = stack.handler(BackupWorkerHandler.class);
        RestoreWorkerHandler restores = stack.handler(RestoreWorkerHandler.class);
        stack.worker(stack.env.get("BACKUP_WORKER_FUNCTION"), (payload, context) -> backups.handleRequest(map(payload),
                context));
        stack.worker(stack.env.get("RESTORE_WORKER_FUNCTION"),
                (payload, context) -> restores.handleRequest(map(payload),
                        context));
        this.auth = TestStack.bearer(stack.token("ops@example.com", "WEB_ACCESS"));
    }

    static ApiStack create(String environment, String bucket, String database, Map<String, String> overrides) {
        return new ApiStack(TestStack.create(environment, bucket, database, overrides));
    }

    static String newBucket(String prefix) {
        String bucket = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        return bucket;
    }

    Done backup() {
        return follow(JobRecord.Type.BACKUP,
                stack.handler(BackupApiHandler.class).handleRequest(ApiEvents.request("POST", "/api/setting/backup",
                        auth, null), new TestContext(Duration.ofSeconds(30))));
    }

    Done restore(String filename) {
        String body = "{\"filename\":\"" + filename + "\",\"passkey\":\"" + TestStack.PASSKEY + "\"}";
        return follow(JobRecord.Type.RESTORE,
                stack.handler(RestoreApiHandler.class).handleRequest(ApiEvents.request("POST",
                        "/api/setting/restore", auth, body), new TestContext(Duration.ofSeconds(30))));
    }

    /** A restore drill as the schedule starts it (events/restore-drill.json's shape). */
    JobRecord drill() {
        Map<String, Object> result = stack.handler(RestoreDrillHandler.class)
                .handleRequest(Map.of("source", "aws.scheduler",
                        "detail-type", "Scheduled Event", "id", UUID.randomUUID().toString()),
                        new TestContext(Duration.ofMinutes(15)));
        return stack.wiring.jobs.find((String) result.get("jobId")).orElseThrow();
    }

    /** 200 (done within the wait budget) or 202 (still running): either way, waits for the worker and reads its job. */
    private Done follow(JobRecord.Type type, APIGatewayV2HTTPResponse answer) {
        stack.awaitWorkers();
        JsonNode body = json(answer);
        // the seed's 200 body names no job: the newest job of its type is the one just answered
        JobRecord job = body.hasNonNull("jobId") ? stack.wiring.jobs.find(body.get("jobId").asText()).orElse(null)
                : newest(type);
        assertTrue(job == null || job.finished(), () -> "the worker returned before its job ended: " + job);
        return new Done(answer, job);
    }

    private JobRecord newest(JobRecord.Type type) {
        String prefix = stack.wiring.keys.job("x").replace("x.json", "");
        return stack.s3.listObjectsV2Paginator(b -> b.bucket(stack.bucket).prefix(prefix)).contents().stream()
                .map(o -> o.key().substring(prefix.length()).replace(".json", ""))
                .map(id -> stack.wiring.jobs.find(id).orElseThrow())
                .filter(j -> j.type() == type)
                .max(java.util.Comparator.comparing(JobRecord::createdAt)).orElse(null);
    }

    static JsonNode json(APIGatewayV2HTTPResponse answer) {
        try {
            return Json.MAPPER.readTree(answer.getBody());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> map(String payload) {
        try {
            return Json.MAPPER.readValue(payload, new TypeReference<Map<String, Object>>() {});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
