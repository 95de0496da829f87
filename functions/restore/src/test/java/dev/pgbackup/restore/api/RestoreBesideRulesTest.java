package dev.pgbackup.restore.api;

import static dev.pgbackup.restore.api.RestoreApiFixture.assertRefused;
import static dev.pgbackup.restore.api.RestoreApiFixture.fields;
import static dev.pgbackup.restore.api.RestoreApiFixture.map;
import static dev.pgbackup.restore.api.RestoreApiFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.TestStack;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The restore body's optional {@code into} and {@code tables}/{@code schemas}: a strict shape (anything else is a
 * 400 before any check), the passkey and source rules as for any restore, no safety backup for what replaces nothing,
 * and a job and worker payload that say exactly what to restore. The real restores are in
 * {@link dev.pgbackup.restore.RestoreBesideIT}.
 */
class RestoreBesideRulesTest {
    static Stream<Arguments> badShapes() {
        String pass = TestStack.PASSKEY;
        List<Arguments> cases = new ArrayList<>();
        cases.add(Arguments.of("into replace", fields("into", "replace"), "Field 'into' must be \"copy\""));
        cases.add(Arguments.of("into empty", fields("into", ""), "Field 'into' must be \"copy\""));
        cases.add(Arguments.of("into COPY", fields("into", "COPY"), "Field 'into' must be \"copy\""));
        cases.add(Arguments.of("into true", fields("into", true), "Field 'into' must be \"copy\""));
        cases.add(Arguments.of("tables with into other than copy", fields("into", "current", "tables",
                List.of("public.orders")), "Field 'into' must be \"copy\""));
        cases.add(Arguments.of("tables a string", fields("tables", "public.orders"), "Field 'tables' must be a list"));
        cases.add(Arguments.of("tables empty", fields("tables", List.of()), "Field 'tables' must be a list"));
        cases.add(Arguments.of("table without schema", fields("tables", List.of("orders")), "Field 'tables'"));
        cases.add(Arguments.of("quoted name", fields("tables", List.of("public.\"Orders\"")), "Field 'tables'"));
        cases.add(Arguments.of("three parts", fields("tables", List.of("db.public.orders")), "Field 'tables'"));
        cases.add(Arguments.of("a pattern", fields("tables", List.of("public.*")), "Field 'tables'"));
        cases.add(Arguments.of("injection", fields("tables", List.of("public.orders;drop table x")), "Field 'tables'"));
        cases.add(Arguments.of("space", fields("tables", List.of("public.order s")), "Field 'tables'"));
        cases.add(
                Arguments.of("64 characters", fields("tables", List.of("public." + "o".repeat(64))), "Field 'tables'"));
        cases.add(Arguments.of("number", fields("tables", List.of(1)), "Field 'tables'"));
        cases.add(Arguments.of("101 tables", fields("tables", IntStream.range(0, 101).mapToObj(i -> "public.t" + i)
                .toList()), "Field 'tables'"));
        cases.add(Arguments.of("schema qualified", fields("schemas", List.of("public.orders")), "Field 'schemas'"));
        cases.add(Arguments.of("schemas a string", fields("schemas", "sales"), "Field 'schemas'"));
        cases.add(Arguments.of("unknown field", fields("database", "x"), "Unknown field(s): database"));
        for (Arguments a : cases) {
            @SuppressWarnings("unchecked")
            Map<String, Object> f = (Map<String, Object>) a.get()[1];
            Map<String, Object> full = new LinkedHashMap<>(fields("filename", "FILE", "passkey", pass));
            full.putAll(f);
            f.clear();
            f.putAll(full);
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badShapes")
    void aBodyOfAnyOtherShapeIsRefusedBeforeAnyCheck(String name, Map<String, Object> fields, String message) {
        RestoreApiFixture.Stack s = new RestoreApiFixture.Stack();
        fields.put("filename", s.productionBackup);

        APIGatewayV2HTTPResponse r = post(s, fields);

        assertEquals(400, r.getStatusCode(), r.getBody());
        String said = (String) RestoreApiFixture.json(r).get("message");
        assertTrue(said.startsWith(message), said);
        assertTrue(!said.contains("drop table"), "hostile input is not echoed: " + said);
        s.assertNothingStarted();
    }

    @Test
    void aCopyNeedsThePasskeyAndAnAcceptedSourceButNoSafetyBackup() {
        RestoreApiFixture.Stack s = new RestoreApiFixture.Stack(Map.of("RESTORE_SOURCE_ENVIRONMENTS", "production"),
                false);

        assertRefused(post(s, fields("filename", s.productionBackup, "passkey", "wrong", "into", "copy")),
                403, RestoreChecks.INVALID_PASSKEY);
        String own = s.unit.plantBackup("staging", RestoreApiFixture.T0.minusSeconds(3600));
        assertRefused(post(s, fields("filename", own, "passkey", TestStack.PASSKEY, "into", "copy")),
                409, "Safety check failed: backups of 'staging' may not be restored into 'staging' (this stack accepts "
                        + "backups of: production)");
        // the same request without "into" replaces the database: the safety backup is required
        assertRefused(post(s, fields("filename", s.productionBackup, "passkey", TestStack.PASSKEY)),
                409, RestoreChecks.noRecentBackupMessage("staging", java.time.Duration.ofMinutes(5)));
        s.assertNothingStarted();

        APIGatewayV2HTTPResponse started = post(s, fields("filename", s.productionBackup, "passkey", TestStack.PASSKEY,
                "into", "copy"));

        assertEquals(202, started.getStatusCode(), started.getBody());
        assertEquals(List.of(Map.of("jobId", RestoreApiFixture.json(started).get("jobId"), "environment", "staging",
                "filename", s.productionBackup, "how", "COPY")), s.unit.launches.stream().map(RestoreApiFixture::map)
                        .toList());
        JobRecord job = s.unit.wiring.jobs.find((String) RestoreApiFixture.json(started).get("jobId")).orElseThrow();
        assertEquals("copy", job.into());
        assertEquals(null, job.tables());
    }

    @Test
    void tablesAndSchemasAreOneCopyOfThoseOnlyAndTheWorkerIsToldWhich() {
        RestoreApiFixture.Stack s = new RestoreApiFixture.Stack(Map.of(), false);

        APIGatewayV2HTTPResponse started = post(s, fields("filename", s.productionBackup, "passkey", TestStack.PASSKEY,
                "tables", List.of("public.orders", "public.orders", "sales.invoices"), "schemas", List.of("audit")));

        assertEquals(202, started.getStatusCode(), started.getBody());
        Map<String, Object> payload = map(s.unit.launches.get(0));
        assertEquals("COPY", payload.get("how"));
        assertEquals(List.of("public.orders", "sales.invoices", "audit.*"), payload.get("tables"));
        JobRecord job = s.unit.wiring.jobs.find((String) payload.get("jobId")).orElseThrow();
        assertEquals("copy", job.into());
        assertEquals(List.of("public.orders", "sales.invoices", "audit.*"), job.tables());
        assertTrue(s.unit.audit().contains("\"tables\":[\"public.orders\",\"sales.invoices\",\"audit.*\"]"),
                s.unit.audit());
    }
}
