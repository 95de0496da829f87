package dev.pgbackup.local;

import static dev.pgbackup.local.OpenApiFixture.HTTP;
import static dev.pgbackup.local.OpenApiFixture.JSON;
import static dev.pgbackup.local.OpenApiFixture.PASSKEY;
import static dev.pgbackup.local.OpenApiFixture.call;
import static dev.pgbackup.local.OpenApiFixture.produced;
import static dev.pgbackup.local.OpenApiFixture.secret;
import static dev.pgbackup.local.OpenApiFixture.spec;
import static dev.pgbackup.local.OpenApiFixture.token;
import static dev.pgbackup.local.OpenApiFixture.validate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.Waits;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/openapi.yaml against the real handlers, over HTTP through the local run: every answer's status
 * must be documented for its operation and its body must validate against the documented schema
 * (JSON Schema 2020-12, as OpenAPI 3.1 defines it); and every documented 2xx/4xx answer must have been
 * produced at least once, so the document cannot drift from the code in either direction. The inputs at the bounds
 * of their schemas are {@link OpenApiSchemaBoundsIT}.
 */
class OpenApiContractIT {
    private static final String BUCKET = "openapi-contract-bucket";
    private static LocalRun staging;
    private static LocalRun production;

    @BeforeAll
    static void start() throws Exception {
        OpenApiFixture.loadDocument();
        TestPostgres pg = TestPostgres.get();
        TestStack.createBucket(BUCKET);
        for (String db : new String[] {"openapi_staging", "openapi_production"}) {
            pg.dropDatabase(db);
            pg.createDatabase(db);
            SeedData.seed(pg, db, 100, db);
        }
        staging = LocalRun.start(OpenApiFixture.env(BUCKET, "staging", pg.url("openapi_staging"), "20"),
                RepoPaths.root(),
                RecordedCalls.INSTANCE);
        // a wait budget of 0: every job answers 202; staging may restore production's backups (deployed after it)
        Map<String, String> productionEnv = OpenApiFixture.env(BUCKET, "production", pg.url("openapi_production"), "0");
        productionEnv.put("BackupKeyReaderRoleArns", staging.output("RestoreWorkerRoleArn") + ","
                + staging.output("RestoreApiRoleArn"));
        production = LocalRun.start(productionEnv, RepoPaths.root(), RecordedCalls.INSTANCE);
    }

    @AfterAll
    static void stop() {
        if (production != null) {
            production.close();
        }
        if (staging != null) {
            staging.close();
        }
    }

    @Test
    void realAnswersMatchTheDocument() throws Exception {
        String token = token("staging", "WEB_ACCESS");
        String productionToken = token("production", "WEB_ACCESS");
        String big = "{\"filename\":\"" + "a".repeat(5000) + "\",\"passkey\":\"x\"}";

        everyOperationRefusesAMissingExpiredOrUnentitledToken();
        String productionFile = backupAnswers(token, productionToken, big);
        aBusyOrTooLargeBackupIsRefused(token);
        unknownJobsAndADrillWithoutABackup(token);
        String restoreProduction = restoreAnswersInTheirOrder(token, productionFile, big);
        restoresBesideTheCurrentDatabase(token, restoreProduction);
        aRestoreInTheBackgroundAndASecondWhileItRuns(productionToken, restoreProduction);
        everyDocumentedAnswerWasProduced();
    }

    /** Every operation: 401 without a token or with an expired one, 403 without the role. */
    private void everyOperationRefusesAMissingExpiredOrUnentitledToken() throws Exception {
        String noRole = token("staging", "REPORTS");
        String expired = JWT.create().withSubject("x").withArrayClaim("roles", new String[] {"WEB_ACCESS"})
                .withExpiresAt(Instant.now().minus(Duration.ofHours(1))).sign(Algorithm.HMAC256(secret("staging")));
        for (String[] op : new String[][] {{"POST", "/api/setting/backup"}, {"GET", "/api/setting/backups"},
                {"POST", "/api/setting/restore"}, {"GET", "/api/setting/jobs/some-job"},
                {"GET", "/api/setting/retention"}}) {
            call(staging, op[0], op[1], null, null, 401);
            call(staging, op[0], op[1], expired, null, 401);
            call(staging, op[0], op[1], noRole, null, 403);
        }
    }

    /** Backups: 400 and 413 for bodies, 401 for another environment's token, 202 past the budget; returns its file. */
    private String backupAnswers(String token, String productionToken, String big) throws Exception {
        // backups: 200 in budget, 202 past it, 400 and 413 for bodies
        call(staging, "POST", "/api/setting/backup", token, "{\"force\":true}", 400);
        call(staging, "POST", "/api/setting/backup", token, big, 413);
        JsonNode restoreTooEarly = call(staging, "POST", "/api/setting/restore", token,
                "{\"filename\":\"pharmatracker-production-on-2020-01-01-at-02-00-00-AM-IST.dump\",\"passkey\":\""
                        + PASSKEY + "\"}",
                404);
        assertEquals("Backup file not found: pharmatracker-production-on-2020-01-01-at-02-00-00-AM-IST.dump",
                restoreTooEarly.get("message").asText());
        call(staging, "POST", "/api/setting/backup", productionToken, null, 401); // another environment's token
        JsonNode started = call(production, "POST", "/api/setting/backup", productionToken, null, 202);
        String jobUrl = started.get("statusUrl").asText();
        Waits.until(Duration.ofMinutes(2), "production backup job", () -> {
            try {
                return !"RUNNING"
                        .equals(call(production, "GET", jobUrl, productionToken, null, 200).get("status").asText());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        String productionFile = call(production, "GET", jobUrl, productionToken, null, 200).get("filename").asText();
        return productionFile;
    }

    /** 409 while the lock is held, 422 for a database too large for the window. */
    private void aBusyOrTooLargeBackupIsRefused(String token) throws Exception {
        // while a backup of an environment runs (its lock held), another request is a 409
        String lock = "pgbackup/locks/pharmatracker-staging/backup.lock";
        try (var s3 = new dev.pgbackup.common.AwsClients(java.util.Optional.of(MotoServer.get().endpoint()), true)
                .s3()) {
            s3.putObject(b -> b.bucket(BUCKET).key(lock), software.amazon.awssdk.core.sync.RequestBody.fromString(
                    "{\"jobId\":\"65881bb1-8d97-426d-a460-ec4b18141994\",\"filename\":\"x\"}"));
            JsonNode running = call(staging, "POST", "/api/setting/backup", token, null, 409);
            assertTrue(running.get("message").asText().contains("65881bb1-8d97-426d-a460-ec4b18141994"));
            s3.deleteObject(b -> b.bucket(BUCKET).key(lock));
            // a database whose last backup saw 20 TB cannot be backed up within the window: 422, nothing started
            String last = dev.pgbackup.common.storage.StateKeys.of(staging.config()).lastBackup();
            s3.putObject(b -> b.bucket(BUCKET).key(last), software.amazon.awssdk.core.sync.RequestBody.fromString(
                    "{\"filename\":\"pharmatracker-staging-on-2020-01-01-at-02-00-00-AM-IST.dump\","
                            + "\"databaseBytes\":20000000000000}"));
            JsonNode tooBig = call(staging, "POST", "/api/setting/backup", token, null, 422);
            assertTrue(tooBig.get("message").asText().startsWith("Backup refused: the database of 'staging' is "
                    + "20000.0 GB (pg_database_size at its last backup)"), tooBig.toString());
            s3.deleteObject(b -> b.bucket(BUCKET).key(last));
        }
    }

    /** An unknown job is a 404; a drill without a backup of the environment fails, naming no file. */
    private void unknownJobsAndADrillWithoutABackup(String token) throws Exception {
        call(staging, "GET", "/api/setting/jobs/no-such-job", token, null, 404);
        // a restore drill's job, as the job status answers it: without a backup of staging yet, no file
        JsonNode noBackup = drill(staging, token);
        assertEquals("Restore drill failed: there is no backup of 'staging' to restore",
                noBackup.get("message").asText());
        assertTrue(noBackup.get("filename").isNull(), noBackup.toString());
    }

    /** Restores: the checks in order (safety, body, passkey), then 200; the request body that restores. */
    private String restoreAnswersInTheirOrder(String token, String productionFile, String big) throws Exception {
        // restore: the checks in order, then 200 and 202
        String restoreProduction = "{\"filename\":\"" + productionFile + "\",\"passkey\":\"" + PASSKEY + "\"}";
        JsonNode safety = call(staging, "POST", "/api/setting/restore", token, restoreProduction, 409);
        assertTrue(safety.get("message").asText()
                .startsWith("Safety check failed: No recent backup found from 'staging'"));
        JsonNode created = call(staging, "POST", "/api/setting/backup", token, null, 200);
        JsonNode drilled = drill(staging, token);
        assertEquals(List.of("DRILL", "SUCCEEDED", created.get("filename").asText()),
                List.of(drilled.get("type").asText(),
                        drilled.get("status").asText(), drilled.get("filename").asText()),
                drilled.toString());
        call(staging, "GET", "/api/setting/backups", token, null, 200);
        JsonNode filtered = call(staging, "GET", "/api/setting/backups?environment=staging", token, null, 200);
        assertEquals(created.get("filename").asText(), filtered.get("backups").get(0).get("filename").asText());
        JsonNode retention = call(staging, "GET", "/api/setting/retention", token, null, 200);
        assertEquals(created.get("filename").asText(), retention.get("keep").get(0).get("filename").asText());
        call(staging, "GET", "/api/setting/backups?environment=../x", token, null, 400);
        call(staging, "POST", "/api/setting/restore", token, "not json", 400);
        call(staging, "POST", "/api/setting/restore", token, "{\"filename\":\"../etc/passwd\",\"passkey\":\"x\"}", 400);
        call(staging, "POST", "/api/setting/restore", token, big, 413);
        JsonNode wrong = call(staging, "POST", "/api/setting/restore", token,
                "{\"filename\":\"" + productionFile + "\",\"passkey\":\"wrong\"}", 403);
        assertEquals("Invalid restore passkey", wrong.get("message").asText());
        JsonNode restored = call(staging, "POST", "/api/setting/restore", token, restoreProduction, 200);
        assertEquals("Database restored successfully from backup: " + productionFile, restored.get("message").asText());
        return restoreProduction;
    }

    /** Beside the current database: the whole backup, then one table; a table the backup lacks is a 404. */
    private void restoresBesideTheCurrentDatabase(String token, String restoreProduction) throws Exception {
        JsonNode copy = call(staging, "POST", "/api/setting/restore", token, restoreProduction.replace("}",
                ",\"into\":\"copy\"}"), 200);
        assertTrue(copy.get("database").asText().startsWith("openapi_staging_copy_"), copy.toString());
        JsonNode table = call(staging, "POST", "/api/setting/restore", token, restoreProduction.replace("}",
                ",\"tables\":[\"public.orders\"]}"), 200);
        JsonNode tableJob = call(staging, "GET", "/api/setting/jobs/" + jobThatMade(table.get("database").asText()),
                token, null, 200);
        assertEquals(List.of("copy", "public.orders", table.get("database").asText()), List.of(
                tableJob.get("into").asText(), tableJob.get("tables").get(0).asText(),
                tableJob.get("database").asText()),
                tableJob.toString());
        JsonNode noTable = call(staging, "POST", "/api/setting/restore", token, restoreProduction.replace("}",
                ",\"tables\":[\"public.no_such_table\"]}"), 404);
        assertTrue(noTable.get("message").asText().startsWith("Restore refused: the backup has no table "
                + "public.no_such_table"), noTable.toString());
    }

    /** Production restores past its budget in the background (202), and answers a second request meanwhile. */
    private void aRestoreInTheBackgroundAndASecondWhileItRuns(String productionToken, String restoreProduction)
            throws Exception {
        JsonNode restoring = call(production, "POST", "/api/setting/restore", productionToken, restoreProduction, 202);
        String restoreUrl = restoring.get("statusUrl").asText();
        // a second restore while the first holds the lock (its job is still RUNNING, or already done)
        JsonNode second = callAny(production, restoreProduction, productionToken);
        Waits.until(Duration.ofMinutes(2), "production restore job", () -> {
            try {
                return !"RUNNING".equals(call(production, "GET", restoreUrl, productionToken, null, 200)
                        .get("status").asText());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals("SUCCEEDED",
                call(production, "GET", restoreUrl, productionToken, null, 200).get("status").asText());
        assertTrue(second != null);
    }

    /** Every documented 2xx/4xx answer was produced (5xx need a broken bucket, tool or worker). */
    private void everyDocumentedAnswerWasProduced() throws Exception {
        Set<String> documented = new TreeSet<>();
        spec.get("paths").fields().forEachRemaining(p -> p.getValue().fields()
                .forEachRemaining(op -> op.getValue().get("responses").fieldNames().forEachRemaining(status -> {
                    if (!status.startsWith("5")) {
                        documented.add(op.getKey().toUpperCase() + " " + p.getKey() + " " + status);
                    }
                })));
        documented.removeAll(produced);
        assertEquals(Set.of(), documented, "documented answers never produced by the handlers");
    }

    /** Fires a restore drill (the local schedule route), waits for it and returns its job as the API answers it. */
    /** The id of staging's job that made {@code database} (a 200 answer names the database, not the job). */
    private static String jobThatMade(String database) throws Exception {
        try (var s3 = new dev.pgbackup.common.AwsClients(java.util.Optional.of(MotoServer.get().endpoint()), true)
                .s3()) {
            for (var o : s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("pgbackup/jobs/pharmatracker-staging/"))
                    .contents()) {
                JsonNode job = JSON.readTree(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(o.key())).asUtf8String());
                if (database.equals(job.path("database").asText())) {
                    return job.get("jobId").asText();
                }
            }
        }
        throw new AssertionError("no job made " + database);
    }

    private static JsonNode drill(LocalRun run, String token) throws Exception {
        HttpResponse<String> fired = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + run.port() + "/local/restore-drill"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, fired.statusCode(), fired.body());
        String url = JSON.readTree(fired.body()).get("statusUrl").asText();
        return Waits.until(Duration.ofMinutes(2), "the restore drill", () -> {
            try {
                HttpResponse<String> job = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + run.port()
                        + url)).header("Authorization", "Bearer " + token).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (job.statusCode() == 404 || JSON.readTree(job.body()).get("status").asText().equals("RUNNING")) {
                    return null; // not written yet, or still running
                }
                return call(run, "GET", url, token, null, 200);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** A restore while another may hold the lock: 409 (running) or 202; either must match the document. */
    private static JsonNode callAny(LocalRun run, String body, String token) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + run.port() + "/api/setting/restore"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = JSON.readTree(response.body());
        validate("POST", "/api/setting/restore", response.statusCode(), json);
        return json;
    }
}
