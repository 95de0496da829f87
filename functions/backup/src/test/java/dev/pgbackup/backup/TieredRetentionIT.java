package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.list.RetentionPreviewHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Grandfather-father-son retention run by the backup worker after a real backup (PostgreSQL, pg_dump, moto): it
 * deletes exactly what the dry run listed beforehand, with the manifests, and nothing of another environment.
 */
class TieredRetentionIT {
    static final ZoneId IST = ZoneId.of("Asia/Kolkata");
    /** Saturday 28 November 2026, 17:30 in India: ISO week 2026-W48 runs from Monday the 23rd. */
    static final Clock NOW = Clock.fixed(Instant.parse("2026-11-28T12:00:00Z"), ZoneOffset.UTC);

    @BeforeAll
    static void seed() {
        BackupWorkerFixture.seed();
    }

    static String at(String environment, String localTime) {
        return BackupFiles.name(environment, LocalDateTime.parse(localTime).atZone(IST).toInstant());
    }

    @SuppressWarnings("unchecked")
    static List<String> deletedByPreview(TestStack stack) throws Exception {
        APIGatewayV2HTTPResponse response = stack.handler(RetentionPreviewHandler.class).handleRequest(
                ApiEvents.request("GET", "/api/setting/retention", TestStack.bearer(stack.token("ops", "WEB_ACCESS")),
                        null),
                new TestContext(Duration.ofSeconds(30)));
        assertEquals(200, response.getStatusCode(), response.getBody());
        Map<String, Object> body = Json.MAPPER.readValue(response.getBody(),
                new TypeReference<Map<String, Object>>() {});
        return ((List<Map<String, Object>>) body.get("delete")).stream().map(d -> (String) d.get("filename")).sorted()
                .toList();
    }

    @Test
    void theWorkerDeletesWhatTheDryRunListedAndKeepsEveryTiersNewest() throws Exception {
        TestStack stack = TestStack.create("production", BackupWorkerFixture.newBucket(), BackupWorkerFixture.SOURCE_DB,
                Map.of("RETENTION_DAILY_DAYS", "3", "RETENTION_WEEKLY_WEEKS", "2", "RETENTION_MIN_COUNT", "1"), NOW);
        String legacy = at("production", "2026-10-01T02:00:00"); // the previous implementation's: no manifest
        stack.s3.putObject(b -> b.bucket(stack.bucket).key(legacy), RequestBody.fromString("PGDMP old"));
        Map<String, String> nightly = new java.util.TreeMap<>();
        for (String day : List.of("10", "15", "20", "25", "26", "27")) {
            nightly.put(day, plant(stack, at("production", "2026-11-" + day + "T02:00:00"), BackupClass.SCHEDULED));
        }
        String onDemand = plant(stack, at("production", "2026-11-28T01:00:00"), BackupClass.ON_DEMAND);
        String staging = at("staging", "2026-01-01T02:00:00");
        stack.s3.putObject(b -> b.bucket(stack.bucket).key(staging), RequestBody.fromString("PGDMP staging"));

        List<String> listed = deletedByPreview(stack);
        Map<String, Object> result = BackupWorkerFixture.runScheduled(stack);

        assertEquals("SUCCEEDED", result.get("status"), String.valueOf(result.get("message")));
        String made = (String) result.get("filename");
        assertEquals(at("production", "2026-11-28T17:30:00"), made);
        List<String> expected = List.of(legacy, nightly.get("10"), nightly.get("15"), nightly.get("25")).stream()
                .sorted().toList();
        assertEquals(expected, listed, "the dry run before the backup");
        // kept: the new one (daily and weekly for 2026-W48), the 27th and 26th (daily), the 20th (weekly, W47)
        assertEquals(List.of(made, nightly.get("20"), nightly.get("26"), nightly.get("27"), onDemand, staging).stream()
                .sorted().toList(), BackupWorkerFixture.backupKeys(stack.s3, stack.bucket));
        List<String> manifests = BackupWorkerFixture.keys(stack.s3, stack.bucket).stream()
                .filter(k -> k.startsWith("pgbackup/manifests/") && k.endsWith(".json"))
                .map(k -> k.substring(k.lastIndexOf('/') + 1)).sorted()
                .toList();
        assertEquals(List.of(made + ".scheduled.json", nightly.get("20") + ".scheduled.json",
                nightly.get("26") + ".scheduled.json", nightly.get("27") + ".scheduled.json",
                onDemand + ".on-demand.json").stream().sorted().toList(), manifests, "the deleted backups' went too");
        JobRecord job = BackupWorkerFixture.job(stack, result);
        assertTrue(job.details().contains("; retention deleted 4"), job.details());
        assertTrue(stack.audit().contains(nightly.get("25") + " (scheduled: not the newest backup of any of the last "
                + "3 days or 2 ISO weeks, nor one of the newest 1)"), stack.audit());
        assertEquals(List.of(), deletedByPreview(stack), "nothing left for the next run to delete today");
    }

    /** A backup the worker wrote: the object and its manifest (which carries the class). */
    private static String plant(TestStack stack, String name, BackupClass backupClass) {
        stack.s3.putObject(b -> b.bucket(stack.bucket).key(name), RequestBody.fromString("PGDMP fake"));
        BackupName parsed = BackupName.parse(TestStack.APP, name).orElseThrow();
        stack.wiring.catalog.writeManifest(new Manifest(name, parsed.environment(), backupClass,
                UUID.randomUUID().toString(), NOW.instant(), NOW.instant(), 10, "0".repeat(64), "16.4", "15.8",
                "zstd:1",
                null));
        return name;
    }
}
