package dev.pgbackup.local;

import static dev.pgbackup.local.OpenApiFixture.JSON;
import static dev.pgbackup.local.OpenApiFixture.PASSKEY;
import static dev.pgbackup.local.OpenApiFixture.allows;
import static dev.pgbackup.local.OpenApiFixture.send;
import static dev.pgbackup.local.OpenApiFixture.shortened;
import static dev.pgbackup.local.OpenApiFixture.spec;
import static dev.pgbackup.local.OpenApiFixture.token;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/openapi.yaml's input schemas against the real handlers, over HTTP through a local run of staging: at their
 * bounds, what the document allows is never refused with 400 and what it forbids is answered 400 (the answers
 * themselves checked against the document as in {@link OpenApiContractIT}). Its own bucket and database: no backup
 * exists, so an allowed backup name is a 404.
 */
class OpenApiSchemaBoundsIT {
    private static final String BUCKET = "openapi-bounds-bucket";
    private static final String DB = "openapi_bounds_staging";
    private static LocalRun staging;

    @BeforeAll
    static void start() throws Exception {
        OpenApiFixture.loadDocument();
        TestPostgres pg = TestPostgres.get();
        TestStack.createBucket(BUCKET);
        pg.dropDatabase(DB);
        pg.createDatabase(DB);
        SeedData.seed(pg, DB, 100, DB);
        staging = LocalRun.start(OpenApiFixture.env(BUCKET, "staging", pg.url(DB), "20"), RepoPaths.root(),
                RecordedCalls.INSTANCE);
    }

    @AfterAll
    static void stop() {
        if (staging != null) {
            staging.close();
        }
    }

    /**
     * The inputs' schemas at their bounds: values the document allows (the longest environment, the extreme dates
     * its pattern lets through, another app's name) and values just past them. The document decides which is
     * which; the server must never refuse with 400 what it allows, nor answer anything but 400 to what it forbids.
     */
    @Test
    void theServerAcceptsExactlyWhatTheSchemasAllow() throws Exception {
        String token = token("staging", "WEB_ACCESS");
        List<String> disagreements = new ArrayList<>();
        environments(token, disagreements);
        JsonNode restoreRequest = spec
                .at("/paths/~1api~1setting~1restore/post/requestBody/content/application~1json/schema");
        fileNames(token, restoreRequest, disagreements);
        optionalFields(token, restoreRequest, disagreements);
        assertEquals(List.of(), disagreements, "the server and docs/openapi.yaml disagree");
    }

    /** The environment filter of the listing, on both sides of its schema. */
    private static void environments(String token, List<String> disagreements) throws Exception {
        JsonNode environment = spec.at("/paths/~1api~1setting~1backups/get/parameters/0");
        assertEquals("environment", environment.get("name").asText());
        // without a maxLength the document allows any length: 1000 characters must then be accepted too
        int longestEnvironment = environment.at("/schema/maxLength").asInt(1000);
        List<String> environments = List.of("staging", "a", "0", "a_-_b", "qa-east-1", "", "a".repeat(100),
                "a".repeat(1000), "a".repeat(longestEnvironment), "a".repeat(longestEnvironment + 1),
                ("a-".repeat(longestEnvironment)).substring(0, longestEnvironment - 1) + "b",
                "A", "-a", "a-", "a--b", "_a", "a b", " ", "../x", "a.b", "a/b", "\u00e9t\u00e9");
        Set<Boolean> sides = new TreeSet<>();
        for (String value : environments) {
            boolean allowed = allows(environment.get("schema"), JSON.getNodeFactory().textNode(value));
            sides.add(allowed);
            String query = URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
            HttpResponse<String> answer = send(staging, "GET", "/api/setting/backups?environment=" + query, token,
                    null);
            if (answer.statusCode() != (allowed ? 200 : 400)) {
                disagreements.add("environment '" + shortened(value) + "' (" + value.length() + " chars, the document "
                        + (allowed ? "allows" : "forbids") + " it): " + answer.statusCode() + " "
                        + shortened(answer.body()));
            }
        }
        assertEquals(Set.of(false, true), sides, "values on both sides of the environment's schema");
    }

    /** Backup file names in a restore request, on both sides of their schema. */
    private static void fileNames(String token, JsonNode restoreRequest, List<String> disagreements) throws Exception {
        int longestName = spec.at("/components/schemas/BackupFileName/maxLength").asInt();
        String stamp = "-on-2026-11-28-at-02-00-00-AM-IST.dump";
        String longest = "pharmatracker-" + "e".repeat(longestName - "pharmatracker-".length() - stamp.length())
                + stamp;
        List<String> names = List.of(
                "pharmatracker-staging-on-2020-01-01-at-02-00-00-AM-IST.dump",
                "pharmatracker-staging-on-0000-00-00-at-00-00-00-AM-A.dump",
                "pharmatracker-production-on-9999-99-99-at-99-99-99-PM-ZZZZZZ.dump",
                "pharmatracker-staging-on-2026-02-30-at-10-00-00-AM-IST.dump",
                "pharmatracker-staging-on-2026-11-28-at-13-00-00-PM-IST.dump",
                "otherapp-production-on-2026-11-28-at-02-00-00-AM-IST.dump",
                "0-0-on-0000-00-00-at-00-00-00-AM-A.dump",
                "0-on-0000-00-00-at-00-00-00-AM-A.dump",
                longest, longest.replace("pharmatracker-", "pharmatracker-e"),
                "pharmatracker-staging-on-2026-11-28-at-02-00-00-am-IST.dump",
                "pharmatracker-staging-on-2026-11-28-at-02-00-00-AM-ISTABCD.dump",
                "pharmatracker-staging-on-2026-11-28-at-2-00-00-AM-IST.dump",
                "pharmatracker-Staging-on-2026-11-28-at-02-00-00-AM-IST.dump",
                "pharmatracker-_staging-on-2026-11-28-at-02-00-00-AM-IST.dump",
                "pharmatracker-staging-on-2026-11-28-at-02-00-00-AM-IST.DUMP",
                "pharmatracker-staging-on-2026-11-28-at-02-00-00-AM-IST.dump.gz",
                "../pharmatracker-staging-on-2026-11-28-at-02-00-00-AM-IST.dump",
                "pharmatracker-on-2026-11-28-at-02-00-00-AM-IST.dump");
        Set<Boolean> sides = new TreeSet<>();
        for (String name : names) {
            ObjectNode body = JSON.createObjectNode().put("filename", name).put("passkey", PASSKEY);
            boolean allowed = allows(restoreRequest, body);
            sides.add(allowed);
            HttpResponse<String> answer = send(staging, "POST", "/api/setting/restore", token, body.toString());
            String message = JSON.readTree(answer.body()).path("message").asText();
            if (answer.statusCode() != (allowed ? 404 : 400)
                    || (allowed && !message.equals("Backup file not found: " + name))) {
                disagreements.add("filename '" + shortened(name) + "' (" + name.length() + " chars, the document "
                        + (allowed ? "allows" : "forbids") + " it): " + answer.statusCode() + " "
                        + shortened(answer.body()));
            }
        }
        assertEquals(Set.of(false, true), sides, "names on both sides of the file name's schema");
    }

    /** The optional fields of a restore request, on both sides of the request's schema. */
    private static void optionalFields(String token, JsonNode restoreRequest, List<String> disagreements)
            throws Exception {
        // the optional fields, at their bounds: with a name of the right shape that is no backup, what the document
        // allows is a 404 (every check before the file's passed), what it forbids a 400
        String unknown = "pharmatracker-production-on-2020-01-01-at-02-00-00-AM-IST.dump";
        String maxIdentifier = "t".repeat(63);
        List<String> extras = List.of(
                "\"into\":\"copy\"", "\"into\":\"replace\"", "\"into\":\"\"", "\"into\":null",
                "\"tables\":[\"public.orders\"]", "\"tables\":[\"public.orders\"],\"into\":\"copy\"",
                "\"tables\":[\"public.orders\"],\"into\":\"current\"", "\"tables\":[]",
                "\"tables\":\"public.orders\"", "\"tables\":[\"orders\"]", "\"tables\":[\"a.b.c\"]",
                "\"tables\":[\"public.*\"]", "\"tables\":[\"Sales.Orders_2026$\"]",
                "\"tables\":[\"_s." + maxIdentifier + "\"]", "\"tables\":[\"_s." + maxIdentifier + "t\"]",
                "\"tables\":[\"public.order s\"]", "\"tables\":[1]",
                "\"tables\":[" + String.join(",", java.util.Collections.nCopies(100, "\"public.t\"")) + "]",
                "\"tables\":[" + String.join(",", java.util.Collections.nCopies(101, "\"public.t\"")) + "]",
                "\"schemas\":[\"sales\"]", "\"schemas\":[\"sales.orders\"]", "\"schemas\":[]",
                "\"schemas\":[\"sales\"],\"tables\":[\"public.orders\"]", "\"database\":\"x\"");
        Set<Boolean> sides = new TreeSet<>();
        for (String extra : extras) {
            String body = "{\"filename\":\"" + unknown + "\",\"passkey\":\"" + PASSKEY + "\"," + extra + "}";
            boolean allowed = allows(restoreRequest, JSON.readTree(body));
            sides.add(allowed);
            HttpResponse<String> answer = send(staging, "POST", "/api/setting/restore", token, body);
            if (answer.statusCode() != (allowed ? 404 : 400)) {
                disagreements.add("body with " + shortened(extra) + " (the document " + (allowed ? "allows" : "forbids")
                        + " it): " + answer.statusCode() + " " + shortened(answer.body()));
            }
        }
        assertEquals(Set.of(false, true), sides, "bodies on both sides of the request's schema");
    }
}
