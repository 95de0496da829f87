package dev.pgbackup.list;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code GET /api/setting/retention} against moto over HTTP (through a recording proxy): what a retention run
 * would keep and delete, with every reason, for this environment only, and not one write to the bucket.
 */
class RetentionPreviewIT {
    static final ZoneId IST = ZoneId.of("Asia/Kolkata");
    static final Clock NOW = Clock.fixed(Instant.parse("2026-11-28T12:00:00Z"), ZoneOffset.UTC); // Saturday, 2026-W48

    static String at(String environment, String localTime) {
        return BackupFiles.name(environment, LocalDateTime.parse(localTime).atZone(IST).toInstant());
    }

    static APIGatewayV2HTTPResponse preview(TestStack stack, Map<String, String> headers) {
        return stack.handler(RetentionPreviewHandler.class).handleRequest(
                ApiEvents.request("GET", "/api/setting/retention", headers, null),
                new TestContext(Duration.ofSeconds(30)));
    }

    static Map<String, Object> body(APIGatewayV2HTTPResponse response) throws Exception {
        return Json.MAPPER.readValue(response.getBody(), new TypeReference<Map<String, Object>>() {});
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> byFilename(Object entries, String field) {
        return ((List<Map<String, Object>>) entries).stream().collect(Collectors.toMap(
                e -> (String) e.get("filename"), e -> List.of(e.get("class"), e.get(field))));
    }

    @Test
    void listsWhatTheNextRunWouldDeleteAndWhyWithoutTouchingTheBucket() throws Exception {
        String bucket = "retention-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            TestStack stack = TestStack.create("production", bucket, "postgres", Map.of("RETENTION_DAILY_DAYS", "3",
                    "RETENTION_WEEKLY_WEEKS", "2", "RETENTION_MIN_COUNT", "1", "ON_DEMAND_RETENTION_COUNT", "1"),
                    NOW, proxy.endpoint());
            // two backups of the previous implementation (no manifest: scheduled), five scheduled, two on-demand
            List<String> legacy = List.of(at("production", "2026-11-10T02:00:00"),
                    at("production", "2026-11-15T02:00:00"));
            List<String> nightly = new ArrayList<>();
            for (String day : List.of("20", "25", "26", "27", "28")) {
                nightly.add(at("production", "2026-11-" + day + "T02:00:00"));
            }
            List<String> onDemand = List.of(at("production", "2026-11-28T10:00:00"),
                    at("production", "2026-11-28T11:00:00"));
            List<String> staging = List.of(at("staging", "2026-10-01T02:00:00"), at("staging", "2026-11-28T02:00:00"));
            legacy.forEach(name -> put(stack, name));
            staging.forEach(name -> put(stack, name));
            nightly.forEach(name -> plant(stack, name, BackupClass.SCHEDULED));
            onDemand.forEach(name -> plant(stack, name, BackupClass.ON_DEMAND));
            List<String> before = keys(stack, bucket);
            proxy.clearRequests();

            APIGatewayV2HTTPResponse response = preview(stack, TestStack.bearer(stack.token("ops", "WEB_ACCESS")));

            assertEquals(200, response.getStatusCode(), response.getBody());
            Map<String, Object> body = body(response);
            assertEquals(true, body.get("success"));
            assertEquals("production", body.get("environment"));
            assertEquals(Map.of("timeZone", "Asia/Kolkata", "scheduled", Map.of("rule", "tiers", "count", 30,
                    "dailyDays", 3, "weeklyWeeks", 2, "monthlyMonths", 0, "minCount", 1),
                    "onDemand", Map.of("count", 1, "maxAgeDays", 7)), body.get("policy"));
            String gone = "scheduled: not the newest backup of any of the last 3 days or 2 ISO weeks, nor one of the newest 1";
            assertEquals(Map.of(
                    legacy.get(0), List.of("scheduled", gone),
                    legacy.get(1), List.of("scheduled", gone),
                    nightly.get(1), List.of("scheduled", gone),
                    onDemand.get(0), List.of("on-demand", "on-demand: older than the newest 1")),
                    byFilename(body.get("delete"), "reason"));
            assertEquals(kept(nightly, onDemand), byFilename(body.get("keep"), "reasons"));

            assertEquals(List.of(), proxy.writes(), "a dry run writes and deletes nothing");
            // the JWT secret from SSM, then only the bucket's HEAD and listings: not one object read (IAM: ListBucket)
            assertTrue(proxy.requests().stream().filter(r -> r.ssmTarget() == null).allMatch(r -> r.key() == null
                    && (r.method().equals("HEAD") || r.hasQueryParam("list-type"))), proxy.requests().toString());
            assertEquals(before, keys(stack, bucket));
            assertTrue(stack.audit().contains("\"action\":\"retention.preview\""), stack.audit());
            assertTrue(stack.audit().contains("\"keep\":5,\"delete\":4"), stack.audit());
        }
    }

    /** What the preview must keep of those backups, and every reason it keeps each. */
    private static Map<String, Object> kept(List<String> nightly, List<String> onDemand) {
        return Map.of(
                nightly.get(4),
                List.of("scheduled", List.of("daily: the newest of 2026-11-28 (one per day for 3 days)",
                        "weekly: the newest of week 2026-W48 (one per ISO week for 2 ISO weeks)",
                        "minimum: one of the newest 1 scheduled backups")),
                nightly.get(3),
                List.of("scheduled", List.of("daily: the newest of 2026-11-27 (one per day for 3 days)")),
                nightly.get(2),
                List.of("scheduled", List.of("daily: the newest of 2026-11-26 (one per day for 3 days)")),
                nightly.get(0), List.of("scheduled", List.of(
                        "weekly: the newest of week 2026-W47 (one per ISO week for 2 ISO weeks)")),
                onDemand.get(1),
                List.of("on-demand", List.of("on-demand: one of the newest 1, younger than 7 days")));
    }

    @Test
    void theSameAuthAsEveryRouteAndAMissingBucketIsAServerFault() throws Exception {
        String bucket = "retention-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        TestStack stack = TestStack.create("staging", bucket, "postgres", Map.of(), NOW);

        APIGatewayV2HTTPResponse none = preview(stack, Map.of());
        assertEquals(401, none.getStatusCode());
        assertEquals("Missing or invalid Authorization header: a Bearer token is required", body(none).get("message"));
        APIGatewayV2HTTPResponse production = preview(stack,
                TestStack.bearer(TestStack.tokenFor("production", stack.clock, "ops",
                        "WEB_ACCESS")));
        assertEquals(401, production.getStatusCode(), "another environment's token");
        APIGatewayV2HTTPResponse noRole = preview(stack, TestStack.bearer(stack.token("ops", "REPORTS")));
        assertEquals(403, noRole.getStatusCode());
        assertEquals("Access denied: role WEB_ACCESS is required", body(noRole).get("message"));

        APIGatewayV2HTTPResponse empty = preview(stack, TestStack.bearer(stack.token("ops", "WEB_ACCESS")));
        assertEquals(200, empty.getStatusCode(), empty.getBody());
        assertEquals(List.of(), body(empty).get("keep"));
        assertEquals("count", ((Map<?, ?>) ((Map<?, ?>) body(empty).get("policy")).get("scheduled")).get("rule"),
                "every tier off: the newest-N rule");

        TestStack lost = TestStack.create("staging", "no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8),
                "postgres", Map.of(), NOW);
        APIGatewayV2HTTPResponse missing = preview(lost, TestStack.bearer(lost.token("ops", "WEB_ACCESS")));
        assertEquals(500, missing.getStatusCode());
        assertEquals("S3 bucket '" + lost.bucket + "' does not exist or is not accessible",
                body(missing).get("message"));
    }

    private static void put(TestStack stack, String name) {
        stack.s3.putObject(b -> b.bucket(stack.bucket).key(name), RequestBody.fromString("PGDMP fake"));
    }

    /** A backup the worker wrote: the object and its manifest (which carries the class). */
    private static void plant(TestStack stack, String name, BackupClass backupClass) {
        put(stack, name);
        BackupName parsed = BackupName.parse(TestStack.APP, name).orElseThrow();
        stack.wiring.catalog
                .writeManifest(new Manifest(name, parsed.environment(), backupClass, UUID.randomUUID().toString(),
                        NOW.instant(), NOW.instant(), 10, "0".repeat(64), "16.4", "15.8", "zstd:1", null));
    }

    private static List<String> keys(TestStack stack, String bucket) {
        return stack.s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().map(S3Object::key).sorted()
                .toList();
    }
}
