package dev.pgbackup.list;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The list function against moto over HTTP: a shared bucket of 1,500+ objects in which backups of three
 * environments sit between job records, locks, other apps' backups and near-miss names.
 */
class ListBackupsIT {
    static final int PRODUCTION = 520;
    static final int STAGING = 480;
    static final int QA = 260;
    static TestStack stack;
    static Set<String> backups = new TreeSet<>();
    static List<String> others = new ArrayList<>();

    @BeforeAll
    static void fillTheBucket() throws Exception {
        String bucket = "list-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        stack = TestStack.create("production", bucket, "postgres", Map.of());
        Instant start = Instant.parse("2025-01-01T00:00:00Z");
        int i = 0;
        for (String environment : List.of("production", "staging", "qa-east")) {
            int count = environment.equals("production") ? PRODUCTION : environment.equals("staging") ? STAGING : QA;
            for (int n = 0; n < count; n++) {
                // an hour apart and in the three environments: names of the previous implementation's shape
                backups.add(BackupFiles.name(environment, start.plus(Duration.ofMinutes(61L * i++))));
            }
        }
        String good = BackupFiles.name("production", Instant.parse("2026-01-15T04:30:00Z"));
        addWhatIsNoBackup(good, start);
        assertTrue(backups.size() + others.size() >= 1500, "at least 1,500 objects");

        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> puts = new ArrayList<>();
        int size = 0;
        for (String key : backups) {
            int bytes = 10 + (size++ % 97);
            puts.add(pool.submit(() -> stack.s3.putObject(b -> b.bucket(bucket).key(key),
                    RequestBody.fromBytes(new byte[bytes]))));
        }
        for (String key : others) {
            puts.add(pool
                    .submit(() -> stack.s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString("{}"))));
        }
        for (Future<?> put : puts) {
            put.get();
        }
        pool.shutdown();
    }

    /** Objects that are not this environment's backups: records, locks, other apps' and malformed names. */
    private static void addWhatIsNoBackup(String good, Instant start) {
        for (int n = 0; n < 150; n++) {
            others.add("jobs/" + UUID.randomUUID() + ".json");
        }
        others.add("locks/pharmatracker-production-restore.lock");
        others.add("pgbackup/locks/pharmatracker-production/restore.lock");
        others.add("pgbackup/jobs/pharmatracker-production/" + UUID.randomUUID() + ".json");
        others.add("pgbackup/manifests/pharmatracker-production/" + good + ".scheduled.json");
        others.add("pgbackup/state/pharmatracker-production/last-backup.json");
        others.add("locks/pharmatracker-staging-restore.lock");
        others.add("locks/pharmatracker-staging-restore-" + UUID.randomUUID() + ".claim");
        for (int n = 0; n < 40; n++) {
            String name = BackupFiles.name("production", start.plus(Duration.ofDays(n)));
            others.add(name.replace("pharmatracker-", "otherapp-"));
            others.add(name.replace("pharmatracker-", "pharmatracker2-"));
            others.add("archive/" + name);
            others.add(name + ".tmp");
        }
        others.addAll(List.of(
                good + "/",
                good.replace(".dump", ".DUMP"),
                good.replace("production", "Production"),
                good.replace("-IST.dump", ".dump"),
                "pharmatracker-production-on-2026-02-30-at-10-00-00-AM-IST.dump",
                "pharmatracker-production-on-2026-01-15-at-13-00-00-PM-IST.dump",
                "pharmatracker-production-on-2026-01-15-at-00-00-00-AM-IST.dump",
                "pharmatracker-on-2026-01-15-at-10-00-00-AM-IST.dump",
                "pharmatracker--on-2026-01-15-at-10-00-00-AM-IST.dump",
                "pharmatracker-production-2026-01-15-at-10-00-00-AM-IST.dump",
                "pharmatracker-production-on-2026-01-15-at-10-00-00-AM-IST.dump.bak",
                "pharmatracker-production-on-2026-01-15-at-10-00-00-AM-IST",
                "pharmatracker-" + "x".repeat(300) + "-on-2026-01-15-at-10-00-00-AM-IST.dump",
                "README.txt",
                "pharmatracker-"));
    }

    static APIGatewayV2HTTPResponse get(String path, Map<String, String> query, Map<String, String> headers) {
        APIGatewayV2HTTPEvent event = ApiEvents.request("GET", path, headers, null);
        event.setQueryStringParameters(query);
        return handle(event);
    }

    static APIGatewayV2HTTPResponse handle(APIGatewayV2HTTPEvent event) {
        boolean status = event.getRawPath() != null && event.getRawPath().contains("/api/setting/jobs/");
        return (status ? stack.handler(JobStatusHandler.class) : stack.handler(ListBackupsHandler.class))
                .handleRequest(event, new TestContext(Duration.ofSeconds(30)));
    }

    static Map<String, String> auth() {
        return TestStack.bearer(stack.token("ops@example.com", "WEB_ACCESS"));
    }

    static Map<String, Object> map(String json) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What the listing must be, from an independent raw listing: backups only, newest first, then by name. */
    static List<Map<String, Object>> expected(String environment) {
        List<S3Object> raw = new ArrayList<>();
        String token = null;
        do {
            String t = token;
            var page = stack.s3.listObjectsV2(b -> b.bucket(stack.bucket).maxKeys(1000).continuationToken(t));
            raw.addAll(page.contents());
            token = page.isTruncated() ? page.nextContinuationToken() : null;
        } while (token != null);
        Set<String> keys = raw.stream().map(S3Object::key).collect(Collectors.toSet());
        assertTrue(raw.size() >= 1500 && keys.containsAll(backups) && keys.containsAll(others),
                "the bucket holds what we put");
        return raw.stream()
                .filter(o -> backups.contains(o.key()))
                .filter(o -> environment == null || o.key().startsWith("pharmatracker-" + environment + "-on-"))
                // within one second of LastModified the name's time decides, not its text (12-59 PM before 01-00 PM)
                .sorted(Comparator.comparing(S3Object::lastModified)
                        .thenComparing((S3Object o) -> BackupName.parse("pharmatracker", o.key()).orElseThrow()
                                .localTime())
                        .thenComparing(S3Object::key).reversed())
                .map(o -> {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("filename", o.key());
                    e.put("lastModified", o.lastModified().toString());
                    e.put("size", o.size().intValue());
                    return e;
                })
                .toList();
    }

    @Test
    void everyBackupOfEveryEnvironmentIsListedNewestFirstAndNothingElse() {
        APIGatewayV2HTTPResponse response = get("/api/setting/backups", null, auth());

        assertEquals(200, response.getStatusCode(), response.getBody());
        Map<String, Object> body = map(response.getBody());
        assertEquals(List.of("success", "backups", "count"), new ArrayList<>(body.keySet()));
        assertEquals(true, body.get("success"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> listed = (List<Map<String, Object>>) body.get("backups");
        assertEquals(PRODUCTION + STAGING + QA, body.get("count"));
        assertEquals(backups,
                listed.stream().map(b -> (String) b.get("filename")).collect(Collectors.toCollection(TreeSet::new)),
                "exactly the backups: complete, and no job record, lock, foreign or near-miss key");
        assertEquals(expected(null), listed,
                "sorted by LastModified, then the name's time, newest first, with S3's sizes");
        for (String other : others) {
            assertFalse(response.getBody().contains("\"" + other + "\""), other);
        }
    }

    @Test
    void theEnvironmentFilterListsOneEnvironment() {
        for (String environment : List.of("production", "staging", "qa-east")) {
            APIGatewayV2HTTPResponse response = get("/api/setting/backups", Map.of("environment", environment), auth());
            assertEquals(200, response.getStatusCode(), response.getBody());
            Map<String, Object> body = map(response.getBody());
            assertEquals(expected(environment), body.get("backups"));
            assertEquals(environment.equals("production") ? PRODUCTION : environment.equals("staging") ? STAGING : QA,
                    body.get("count"));
        }
        // "qa" is not "qa-east": the filter is the whole environment name
        Map<String, Object> none = map(get("/api/setting/backups", Map.of("environment", "qa"), auth()).getBody());
        assertEquals(List.of(), none.get("backups"));
        assertEquals(0, none.get("count"));
        // the longest environment a backup name can carry is a filter like any other
        Map<String, Object> longest = map(get("/api/setting/backups",
                Map.of("environment", "a".repeat(BackupName.MAX_ENVIRONMENT_LENGTH)), auth()).getBody());
        assertEquals(0, longest.get("count"));
        // an empty filter lists everything
        assertEquals(PRODUCTION + STAGING + QA,
                map(get("/api/setting/backups", Map.of("environment", ""), auth()).getBody()).get("count"));
    }

    @Test
    void anInvalidEnvironmentFilterIsA400() {
        for (String bad : List.of("../jobs", "Production", "prod/../x", "%2e%2e", "prod*", " ",
                "a".repeat(BackupName.MAX_ENVIRONMENT_LENGTH + 1))) {
            APIGatewayV2HTTPResponse response = get("/api/setting/backups", Map.of("environment", bad), auth());
            assertEquals(400, response.getStatusCode(), bad);
            assertEquals(false, map(response.getBody()).get("success"));
        }
    }

    @Test
    void listingNeedsAValidTokenWithTheRole() {
        assertEquals(401, get("/api/setting/backups", null, Map.of()).getStatusCode());
        assertEquals(401, get("/api/setting/backups", null, TestStack.bearer("x.y.z")).getStatusCode());
        APIGatewayV2HTTPResponse noRole = get("/api/setting/backups", null,
                TestStack.bearer(stack.token("viewer@example.com", "REPORTS")));
        assertEquals(403, noRole.getStatusCode());
        assertFalse(noRole.getBody().contains("pharmatracker-"));
    }

    @Test
    void aMissingBucketGivesTheKnownMessage() {
        String missing = "no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack other = TestStack.create("production", missing, "postgres", Map.of());
        APIGatewayV2HTTPResponse response = other.handler(ListBackupsHandler.class).handleRequest(
                ApiEvents.request("GET", "/api/setting/backups", auth(), null),
                new TestContext(Duration.ofSeconds(30)));
        assertEquals(500, response.getStatusCode());
        assertEquals("S3 bucket '" + missing + "' does not exist or is not accessible",
                map(response.getBody()).get("message"));
    }

    @Test
    void aJobsStatusIsReportedAndOnlyForAJobId() {
        JobRecord job = JobRecord.started(UUID.randomUUID().toString(), JobRecord.Type.RESTORE, "production",
                "pharmatracker-production-on-2026-01-15-at-10-00-00-AM-IST.dump", "ops@example.com", "api",
                Instant.now());
        stack.wiring.jobs.save(job);

        APIGatewayV2HTTPEvent event = ApiEvents.request("GET", "/api/setting/jobs/" + job.jobId(), auth(), null);
        event.setRouteKey("GET /api/setting/jobs/{jobId}");
        event.setPathParameters(Map.of("jobId", job.jobId()));
        APIGatewayV2HTTPResponse running = handle(event);
        assertEquals(200, running.getStatusCode(), running.getBody());
        Map<String, Object> body = map(running.getBody());
        assertEquals(true, body.get("success"));
        assertEquals("RUNNING", body.get("status"));
        assertEquals("RESTORE", body.get("type"));
        assertEquals(job.jobId(), body.get("jobId"));

        stack.wiring.jobs.save(job.failed(Instant.now(), "Restore failed: pg_restore exited with code 1",
                "pg_restore: error: Key (email)=(someone@example.com) already exists"));
        Map<String, Object> failed = map(handle(event).getBody());
        assertEquals(false, failed.get("success"));
        assertEquals("FAILED", failed.get("status"));
        assertEquals("Restore failed: pg_restore exited with code 1", failed.get("message"));
        assertFalse(failed.toString().contains("someone@example.com"), "the diagnostic is not shown: " + failed);

        // a stage prefix in the path, no path parameters
        APIGatewayV2HTTPEvent staged = ApiEvents.request("GET", "/prod/api/setting/jobs/" + job.jobId(), auth(), null);
        staged.setRouteKey("$default");
        assertEquals(200, handle(staged).getStatusCode());

        for (String id : List.of(UUID.randomUUID().toString(), "../locks/pharmatracker-production-restore.lock",
                "..%2Flocks%2Fx", job.jobId().toUpperCase(), job.jobId() + ".json", "")) {
            APIGatewayV2HTTPEvent other = ApiEvents.request("GET", "/api/setting/jobs/" + id, auth(), null);
            other.setRouteKey("GET /api/setting/jobs/{jobId}");
            other.setPathParameters(Map.of("jobId", id));
            APIGatewayV2HTTPResponse response = handle(other);
            assertEquals(404, response.getStatusCode(), id);
            assertEquals("Job not found", map(response.getBody()).get("message"));
        }
        assertEquals(401,
                handle(ApiEvents.request("GET", "/api/setting/jobs/" + job.jobId(), Map.of(), null)).getStatusCode());
    }

    @Test
    void theEventFilesAreHttpApiRequestsTheHandlerUnderstands() throws Exception {
        ObjectMapper lenient = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

        APIGatewayV2HTTPEvent list = lenient.readValue(RepoPaths.root().resolve("events/list-backups.json").toFile(),
                APIGatewayV2HTTPEvent.class);
        assertEquals("GET /api/setting/backups", list.getRouteKey());
        assertEquals(401, handle(list).getStatusCode(), "the placeholder token is refused");
        list.setHeaders(withAuth(list.getHeaders()));
        APIGatewayV2HTTPResponse listed = handle(list);
        assertEquals(200, listed.getStatusCode(), listed.getBody());
        assertEquals(PRODUCTION + STAGING + QA, map(listed.getBody()).get("count"));

        APIGatewayV2HTTPEvent status = lenient.readValue(RepoPaths.root().resolve("events/job-status.json").toFile(),
                APIGatewayV2HTTPEvent.class);
        assertEquals("GET /api/setting/jobs/{jobId}", status.getRouteKey());
        String jobId = status.getPathParameters().get("jobId");
        assertTrue(status.getRawPath().endsWith("/" + jobId));
        status.setHeaders(withAuth(status.getHeaders()));
        assertEquals(404, handle(status).getStatusCode(), "no such job in this bucket");
        stack.wiring.jobs.save(JobRecord.started(jobId, JobRecord.Type.BACKUP, "production",
                BackupFiles.name("production", Instant.now()), "ops@example.com", "api", Instant.now()));
        assertEquals(200, handle(status).getStatusCode());
    }

    private static Map<String, String> withAuth(Map<String, String> headers) {
        Map<String, String> h = new HashMap<>(headers);
        h.putAll(auth());
        return h;
    }
}
