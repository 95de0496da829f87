package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.WorkerLauncher;
import dev.pgbackup.common.storage.LastRestore;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The restore API's rules, in order, against an in-memory bucket and SecureStrings: every refusal has its
 * status and message, writes nothing and starts nothing. The real pg_restore paths are in {@link RestoreIT}.
 */
class RestoreRulesTest {
    static final String APP = "pharmatracker";
    static final Instant T0 = UnitStack.T0;

    /** A staging stack whose bucket holds a production backup and, unless told otherwise, a fresh safety backup. */
    static final class Stack {
        final UnitStack unit;
        final String productionBackup;

        Stack(Map<String, String> overrides, boolean safetyBackup) {
            unit = UnitStack.create("staging", overrides);
            productionBackup = unit.plantBackup("production", T0.minus(Duration.ofHours(3)));
            if (safetyBackup) {
                String mine = unit.plantBackup("staging", T0.minusSeconds(60));
                unit.markCompleted(mine, T0.minusSeconds(70), T0.minusSeconds(60));
            }
        }

        Stack() {
            this(Map.of(), true);
        }

        APIGatewayV2HTTPResponse post(Map<String, String> headers, String body) {
            return handle(ApiEvents.request("POST", "/api/setting/restore", headers, body));
        }

        APIGatewayV2HTTPResponse handle(APIGatewayV2HTTPEvent event) {
            return new RestoreApiHandler(unit.wiring).handleRequest(event, new TestContext(Duration.ofSeconds(30)));
        }

        APIGatewayV2HTTPResponse restore(String filename, String passkey) {
            return post(TestStack.bearer(unit.token("ops@example.com", "WEB_ACCESS")), body(filename, passkey));
        }

        /** Nothing written (no job, lock or claim), nothing launched. */
        void assertNothingStarted() {
            assertEquals(List.of(), unit.objects.writes());
            assertEquals(List.of(), unit.launches);
        }
    }

    static String body(String filename, String passkey) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("filename", filename);
        body.put("passkey", passkey);
        return Json.write(body);
    }

    static Map<?, ?> json(APIGatewayV2HTTPResponse r) {
        try {
            return Json.MAPPER.readValue(r.getBody(), Map.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void assertRefused(APIGatewayV2HTTPResponse r, int status, String message) {
        assertEquals(status, r.getStatusCode(), r.getBody());
        assertEquals(Map.of("success", false, "message", message), json(r));
    }

    // ---------------------------------------------------------------- names

    @Test
    void backupNamesOfAnyEnvironmentOfThisAppPass() {
        for (String name : List.of(
                "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump",
                "pharmatracker-staging-on-2025-01-01-at-12-59-59-PM-IST.dump",
                "pharmatracker-qa-east-on-2025-01-01-at-12-00-00-AM-UTC.dump")) {
            assertEquals(Optional.empty(), RestoreChecks.filenameProblem(APP, name), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "../pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "backups/pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump/",
            "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump\\",
            "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST%2Edump",
            "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump\t",
            "pharmatracker-prod\u0435ction-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "pharmatracker-production-on-2026-11-28-at-02-00-00-AM-IST.dump.tmp",
            "pharmatracker-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "pharmatracker-a..b-on-2026-11-28-at-02-00-00-AM-IST.dump",
            "pgbackup/jobs/pharmatracker-staging/3f8e2a4c-9b1d-4e6f-8a2b-7c5d0e9f1a3b.json",
            "pgbackup/locks/pharmatracker-production/restore.lock",
            ".."})
    void anythingElseIsRefused(String name) {
        assertTrue(RestoreChecks.filenameProblem(APP, name).isPresent(), name);
    }

    /**
     * Names of the backup name shape (as docs/openapi.yaml states it) that no backup of this app can have: not
     * refused as malformed but not found, after the passkey, and never looked up in the bucket.
     */
    @ParameterizedTest
    @ValueSource(strings = {
            "otherapp-production-on-2026-01-15-at-10-00-00-AM-IST.dump",
            "pharmatracker-production-on-2026-02-30-at-10-00-00-AM-IST.dump",
            "pharmatracker-production-on-2026-01-15-at-13-00-00-PM-IST.dump",
            "pharmatracker-production-on-2026-01-15-at-00-00-00-AM-IST.dump",
            "pharmatracker-production-on-0000-00-00-at-00-00-00-AM-A.dump"})
    void wellFormedNamesThatNoBackupCanHaveAreNotFound(String name) {
        Stack s = new Stack();
        s.unit.objects.plant(name, "PGDMP", T0.minusSeconds(600)); // even if the bucket held such an object

        assertRefused(s.restore(name, "wrong"), 403, RestoreChecks.INVALID_PASSKEY);
        assertRefused(s.restore(name, TestStack.PASSKEY), 404, "Backup file not found: " + name);
        s.assertNothingStarted();
    }

    @Test
    void theSafetyMessageIsTheSeedsWordForWord() {
        assertEquals("Safety check failed: No recent backup found from 'production' environment within last 5 minutes. "
                        + "Please create a backup first (POST /api/setting/backup) and then retry restore.",
                RestoreChecks.noRecentBackupMessage("production", Duration.ofMinutes(5)));
        assertTrue(RestoreChecks.noRecentBackupMessage("staging", Duration.ofMinutes(1)).contains("within last 1 minute."));
    }

    // ---------------------------------------------------------------- hostile input, tokens

    static Stream<Arguments> hostileBodies() {
        String good = BackupFiles.name("production", Instant.parse("2026-01-15T04:30:00Z"));
        String pass = TestStack.PASSKEY;
        List<Arguments> cases = new ArrayList<>();
        for (String name : List.of("../" + good, "../../etc/passwd", "./" + good, "backups/" + good, "/" + good,
                "pgbackup/jobs/pharmatracker-staging/" + UUID.randomUUID() + ".json",
                "pgbackup/locks/pharmatracker-staging/restore.lock", "..\\" + good, "%2e%2e%2f" + good,
                good.replace("-on-", "%2Don%2D"), good + "%00", good + "\u0000", good + "\n",
                good.replace(".dump", ".dump.tmp"),
                good.replace("pharmatracker-", "PHARMATRACKER-"), good.replace("production", "Production"),
                good.replace("production", "prod\u0435ction"), good.replace("IST.dump", "IST.DUMP"),
                "pharmatracker-on-2026-01-15-at-10-00-00-AM-IST.dump", ".", "..", " ",
                "pharmatracker-" + "a".repeat(300) + "-on-2026-01-15-at-10-00-00-AM-IST.dump")) {
            cases.add(Arguments.of("name '" + name.replaceAll("[^\\x20-\\x7E]", "?") + "'", body(name, pass), 400));
        }
        cases.add(Arguments.of("empty filename", body("", pass), 400));
        cases.add(Arguments.of("empty passkey", body(good, ""), 400));
        cases.add(Arguments.of("10 KB name", body("pharmatracker-" + "a".repeat(10_240) + ".dump", pass), 413));
        cases.add(Arguments.of("huge body", "{\"filename\":\"" + good + "\",\"passkey\":\"" + "p".repeat(100_000) + "\"}", 413));
        cases.add(Arguments.of("not JSON", "filename=" + good + "&passkey=" + pass, 400));
        cases.add(Arguments.of("broken JSON", "{\"filename\":\"" + good + "\",", 400));
        cases.add(Arguments.of("JSON array", "[\"" + good + "\",\"" + pass + "\"]", 400));
        cases.add(Arguments.of("JSON string", "\"" + good + "\"", 400));
        cases.add(Arguments.of("JSON null", "null", 400));
        cases.add(Arguments.of("empty body", "", 400));
        cases.add(Arguments.of("empty object", "{}", 400));
        cases.add(Arguments.of("missing passkey", "{\"filename\":\"" + good + "\"}", 400));
        cases.add(Arguments.of("missing filename", "{\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("extra field", "{\"filename\":\"" + good + "\",\"passkey\":\"" + pass
                + "\",\"database\":\"restore_production\"}", 400));
        cases.add(Arguments.of("number filename", "{\"filename\":123,\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("array filename", "{\"filename\":[\"" + good + "\"],\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("object passkey", "{\"filename\":\"" + good + "\",\"passkey\":{\"value\":\"" + pass + "\"}}", 400));
        cases.add(Arguments.of("null passkey", "{\"filename\":\"" + good + "\",\"passkey\":null}", 400));
        cases.add(Arguments.of("duplicate filename", "{\"filename\":\"x\",\"filename\":\"" + good + "\",\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("duplicate passkey", "{\"filename\":\"" + good + "\",\"passkey\":\"x\",\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("trailing content", body(good, pass) + "{}", 400));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileBodies")
    void hostileInputIsRefusedAndNothingStarts(String label, String body, int status) {
        Stack s = new Stack();
        // the keys the tricks aim at all exist, so only the validation can stop them
        String good = BackupFiles.name("production", Instant.parse("2026-01-15T04:30:00Z"));
        for (String key : List.of(good, "backups/" + good, good.replace("production", "Production"),
                good.replace(".dump", ".dump.tmp"))) {
            s.unit.objects.plant(key, "PGDMP", T0.minusSeconds(600));
        }

        APIGatewayV2HTTPResponse response = s.post(TestStack.bearer(s.unit.token("ops", "WEB_ACCESS")), body);

        assertEquals(status, response.getStatusCode(), response.getBody());
        assertEquals(false, json(response).get("success"));
        assertFalse(response.getBody().contains(TestStack.PASSKEY));
        assertFalse(s.unit.audit().contains(TestStack.PASSKEY));
        s.assertNothingStarted();
    }

    @Test
    void aBase64BodyIsDecodedAndAnInvalidOneRefused() {
        Stack s = new Stack();
        String token = s.unit.token("ops", "WEB_ACCESS");
        APIGatewayV2HTTPEvent junk = ApiEvents.request("POST", "/api/setting/restore", TestStack.bearer(token), "!!!not base64!!!");
        junk.setIsBase64Encoded(true);
        assertEquals(400, s.handle(junk).getStatusCode());
        APIGatewayV2HTTPEvent wrongPasskey = ApiEvents.request("POST", "/api/setting/restore", TestStack.bearer(token),
                java.util.Base64.getEncoder().encodeToString(body(s.productionBackup, "nope").getBytes()));
        wrongPasskey.setIsBase64Encoded(true);
        assertEquals(403, s.handle(wrongPasskey).getStatusCode());
        s.assertNothingStarted();
    }

    @Test
    void withoutAValidTokenOfThisEnvironmentAndTheRoleNothingHappens() {
        Stack s = new Stack();
        String body = body(s.productionBackup, TestStack.PASSKEY);
        assertEquals(401, s.post(Map.of(), body).getStatusCode());
        assertEquals(401, s.post(Map.of("authorization", "Basic dXNlcjpwYXNz"), body).getStatusCode());
        assertEquals(401, s.post(TestStack.bearer("not.a.jwt"), body).getStatusCode());
        // production's token does not open staging's API (each environment has its own secret)
        assertEquals(401, s.post(TestStack.bearer(TestStack.tokenFor("production", s.unit.clock, "ops", "WEB_ACCESS")), body).getStatusCode());
        APIGatewayV2HTTPResponse noRole = s.post(TestStack.bearer(s.unit.token("viewer", "REPORTS")), body);
        assertEquals(403, noRole.getStatusCode());
        s.assertNothingStarted();
        assertEquals(5, s.unit.audit().lines().filter(l -> l.contains("\"result\":\"DENIED\"")).count());
    }

    // ---------------------------------------------------------------- the checks, in order

    @Test
    void aWrongPasskeyIsRefusedBeforeAnythingElseIsRevealed() {
        Stack s = new Stack();
        assertRefused(s.restore(s.productionBackup, "not-the-passkey"), 403, "Invalid restore passkey");
        // checked before existence: a missing file does not answer 404 to a wrong passkey
        assertRefused(s.restore(BackupFiles.name("production", Instant.parse("2020-01-01T00:00:00Z")),
                TestStack.PASSKEY + "x"), 403, "Invalid restore passkey");
        assertEquals(403, s.restore(s.productionBackup, TestStack.PASSKEY.toLowerCase()).getStatusCode());
        assertEquals(403, s.restore(s.productionBackup, " " + TestStack.PASSKEY).getStatusCode());
        s.assertNothingStarted();
        assertFalse(s.unit.audit().contains("not-the-passkey"));
    }

    @Test
    void aMissingBackupIsA404WithTheKnownMessage() {
        Stack s = new Stack();
        String missing = BackupFiles.name("production", Instant.parse("2020-01-01T00:00:00Z"));
        assertRefused(s.restore(missing, TestStack.PASSKEY), 404, "Backup file not found: " + missing);
        s.assertNothingStarted();
    }

    @Test
    void aStackRestoresOnlyTheEnvironmentsItAccepts() {
        Stack s = new Stack(Map.of("RESTORE_SOURCE_ENVIRONMENTS", "staging"), true);
        assertRefused(s.restore(s.productionBackup, TestStack.PASSKEY), 409, "Safety check failed: backups of "
                + "'production' may not be restored into 'staging' (this stack accepts backups of: staging)");
        s.assertNothingStarted();
    }

    @Test
    void withoutARecentBackupOfThisEnvironmentTheSafetyCheckRefuses() {
        String message = "Safety check failed: No recent backup found from 'staging' environment within last 5 minutes. "
                + "Please create a backup first (POST /api/setting/backup) and then retry restore.";
        Stack none = new Stack(Map.of(), false);
        // a production backup a second old does not count: the staging database is what gets replaced
        none.unit.plantBackup("production", T0.minusSeconds(1));
        assertRefused(none.restore(none.productionBackup, TestStack.PASSKEY), 409, message);
        none.assertNothingStarted();

        Stack old = new Stack();
        old.unit.clock.advance(Duration.ofMinutes(6));
        assertRefused(old.restore(old.productionBackup, TestStack.PASSKEY), 409, message);

        Stack ten = new Stack(Map.of("RECENT_BACKUP_MINUTES", "10"), true);
        ten.unit.clock.advance(Duration.ofMinutes(11));
        assertRefused(ten.restore(ten.productionBackup, TestStack.PASSKEY), 409, message.replace("5 minutes", "10 minutes"));

        // a completion record whose backup is gone does not count
        Stack gone = new Stack();
        gone.unit.objects.list("pharmatracker-staging-").forEach(o -> gone.unit.objects.delete(o.key()));
        assertRefused(gone.restore(gone.productionBackup, TestStack.PASSKEY), 409, message);
    }

    @Test
    void aCompletionRecordPlantedUnderAnotherEnvironmentsPrefixDoesNotCount() {
        Stack s = new Stack(Map.of(), false);
        String mine = s.unit.plantBackup("staging", T0.minusSeconds(30));
        // written where production's stack keeps its records: staging never reads it
        s.unit.objects.plant("pgbackup/state/pharmatracker-production/last-backup.json", Json.write(
                new dev.pgbackup.common.storage.LastBackup(mine, "x", T0, T0, null, null)), T0);
        s.unit.objects.plant("jobs/last-backup-pharmatracker-staging.json", "{\"filename\":\"" + mine
                + "\",\"completedAt\":\"" + T0 + "\"}", T0); // the old, shared key
        assertEquals(409, s.restore(s.productionBackup, TestStack.PASSKEY).getStatusCode());
    }

    @Test
    void theSafetyBackupMustBeNewerThanTheLastRestore() {
        Stack s = new Stack();
        s.unit.objects.plant(s.unit.wiring.keys.lastRestore(), Json.write(new LastRestore(
                "22222222-2222-2222-2222-222222222222", s.productionBackup, T0.minusSeconds(30))), T0.minusSeconds(30));
        APIGatewayV2HTTPResponse r = s.restore(s.productionBackup, TestStack.PASSKEY);
        assertEquals(409, r.getStatusCode());
        assertTrue(((String) json(r).get("message")).startsWith("Safety check failed: the newest backup of 'staging' "
                + "started before its last restore (job 22222222-2222-2222-2222-222222222222)"), r.getBody());
        // a backup started after that restore counts
        String fresh = s.unit.plantBackup("staging", T0.minusSeconds(5));
        s.unit.markCompleted(fresh, T0.minusSeconds(20), T0.minusSeconds(5));
        assertEquals(202, s.restore(s.productionBackup, TestStack.PASSKEY).getStatusCode());
    }

    // ---------------------------------------------------------------- the lock and the launch

    @Test
    void anApprovedRestoreTakesTheLockForExactlyItsFileAndSaysSoInThePayload() {
        Stack s = new Stack();
        APIGatewayV2HTTPResponse r = s.restore(s.productionBackup, TestStack.PASSKEY);
        assertEquals(202, r.getStatusCode(), r.getBody());
        String jobId = (String) json(r).get("jobId");
        assertEquals(Map.of("jobId", jobId, "environment", "staging", "filename", s.productionBackup, "how", "SWAP"),
                Json.MAPPER.convertValue(Json.MAPPER.valueToTree(parse(s.unit.launches.get(0))), Map.class));
        var holder = s.unit.wiring.restoreLock().holder().orElseThrow();
        assertEquals(jobId, holder.jobId());
        assertEquals(s.productionBackup, holder.filename());

        APIGatewayV2HTTPResponse second = s.restore(s.productionBackup, TestStack.PASSKEY);
        assertRefused(second, 409, "A restore of 'staging' is already running (job " + jobId + ")");
        assertEquals(1, s.unit.launches.size());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theWorkerRenewsTheLockWhileItRunsAndReleasesItAtTheEnd() {
        Stack s = new Stack();
        // the worker runs inline; the in-memory stack moves no archives, so the job fails once it has started
        s.unit.onLaunch = (fn, payload) -> new RestoreWorkerHandler(s.unit.wiring).handleRequest(
                (Map<String, Object>) parse(payload), new TestContext(Duration.ofMinutes(15)));

        APIGatewayV2HTTPResponse r = s.restore(s.productionBackup, TestStack.PASSKEY);

        assertEquals(202, r.getStatusCode(), r.getBody());
        String lock = s.unit.wiring.keys.restoreLock();
        assertEquals(List.of("PUT " + lock, "PUT " + lock, "DELETE " + lock),
                s.unit.objects.writes().stream().filter(w -> w.endsWith(" " + lock)).toList(),
                "taken by the API, renewed by the worker, released by the worker");
        assertEquals(JobRecord.Status.FAILED,
                s.unit.wiring.jobs.find((String) json(r).get("jobId")).orElseThrow().status());
    }

    static Map<?, ?> parse(String json) {
        try {
            return Json.MAPPER.readValue(json, Map.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aStaleLockIsTakenOverAndAFreshOneIsNot() {
        Stack s = new Stack(Map.of("RECENT_BACKUP_MINUTES", "60"), true);
        s.unit.objects.plant(s.unit.wiring.keys.restoreLock(),
                "{\"jobId\":\"11111111-2222-3333-4444-555555555555\",\"subject\":\"crashed\"}", T0);
        assertRefused(s.restore(s.productionBackup, TestStack.PASSKEY), 409,
                "A restore of 'staging' is already running (job 11111111-2222-3333-4444-555555555555)");
        // the restore worker's staleness: 15 min timeout + 5 min event age + 2 min
        s.unit.clock.advance(Duration.ofMinutes(23));
        APIGatewayV2HTTPResponse taken = s.restore(s.productionBackup, TestStack.PASSKEY);
        assertEquals(202, taken.getStatusCode(), taken.getBody());
        assertTrue(s.unit.audit().contains("\"replacedStaleLockOfJob\":\"11111111-2222-3333-4444-555555555555\""));
    }

    @Test
    void aWorkerThatCannotBeStartedReleasesTheLockAndAnUnknownLaunchKeepsIt() {
        Stack refused = new Stack();
        refused.unit.onLaunch = (fn, p) -> {
            throw new WorkerLauncher.NotLaunched("no such function");
        };
        APIGatewayV2HTTPResponse r = refused.restore(refused.productionBackup, TestStack.PASSKEY);
        assertRefused(r, 503, "The restore worker could not be started; try again later");
        assertTrue(refused.unit.wiring.restoreLock().holder().isEmpty());

        Stack unknown = new Stack();
        unknown.unit.onLaunch = (fn, p) -> {
            throw new IllegalStateException("timed out reading Lambda's answer");
        };
        APIGatewayV2HTTPResponse u = unknown.restore(unknown.productionBackup, TestStack.PASSKEY);
        assertEquals(202, u.getStatusCode(), u.getBody());
        assertEquals(json(u).get("jobId"), unknown.unit.wiring.restoreLock().holder().orElseThrow().jobId(),
                "the worker may be running: the lock is not released by the API");
    }

    @Test
    void aJobRecordThatCannotBeWrittenFreesTheLockAndIsAServerFault() {
        Stack s = new Stack();
        s.unit.objects.failingWritesUnder(StateKeys.ROOT + "jobs/");

        APIGatewayV2HTTPResponse r = s.restore(s.productionBackup, TestStack.PASSKEY);

        assertRefused(r, 500, "Restore could not be started: its job record could not be written; nothing was started");
        assertTrue(s.unit.wiring.restoreLock().holder().isEmpty(), "no worker will ever release it");
        assertEquals(List.of(), s.unit.launches);
    }
}
