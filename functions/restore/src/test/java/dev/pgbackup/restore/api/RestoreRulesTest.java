package dev.pgbackup.restore.api;

import static dev.pgbackup.restore.api.RestoreApiFixture.APP;
import static dev.pgbackup.restore.api.RestoreApiFixture.T0;
import static dev.pgbackup.restore.api.RestoreApiFixture.assertRefused;
import static dev.pgbackup.restore.api.RestoreApiFixture.body;
import static dev.pgbackup.restore.api.RestoreApiFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.restore.api.RestoreApiFixture.Stack;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 * status and message, writes nothing and starts nothing. The real pg_restore paths are in
 * {@link dev.pgbackup.restore.RestoreIT}.
 */
class RestoreRulesTest {
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
        assertTrue(RestoreChecks.noRecentBackupMessage("staging", Duration.ofMinutes(1))
                .contains("within last 1 minute."));
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
        cases.add(Arguments.of("huge body",
                "{\"filename\":\"" + good + "\",\"passkey\":\"" + "p".repeat(100_000) + "\"}", 413));
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
        cases.add(
                Arguments.of("array filename", "{\"filename\":[\"" + good + "\"],\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("object passkey",
                "{\"filename\":\"" + good + "\",\"passkey\":{\"value\":\"" + pass + "\"}}", 400));
        cases.add(Arguments.of("null passkey", "{\"filename\":\"" + good + "\",\"passkey\":null}", 400));
        cases.add(Arguments.of("duplicate filename",
                "{\"filename\":\"x\",\"filename\":\"" + good + "\",\"passkey\":\"" + pass + "\"}", 400));
        cases.add(Arguments.of("duplicate passkey",
                "{\"filename\":\"" + good + "\",\"passkey\":\"x\",\"passkey\":\"" + pass + "\"}", 400));
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
        APIGatewayV2HTTPEvent junk = ApiEvents.request("POST", "/api/setting/restore", TestStack.bearer(token),
                "!!!not base64!!!");
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
        assertEquals(401,
                s.post(TestStack.bearer(TestStack.tokenFor("production", s.unit.clock, "ops", "WEB_ACCESS")), body)
                        .getStatusCode());
        APIGatewayV2HTTPResponse noRole = s.post(TestStack.bearer(s.unit.token("viewer", "REPORTS")), body);
        assertEquals(403, noRole.getStatusCode());
        s.assertNothingStarted();
        assertEquals(5, s.unit.audit().lines().filter(l -> l.contains("\"result\":\"DENIED\"")).count());
    }
}
