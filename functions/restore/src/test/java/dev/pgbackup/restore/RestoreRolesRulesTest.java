package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.restore.api.RestoreApiFixture;
import dev.pgbackup.testsupport.TestStack;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The restore body's optional {@code roles} and {@code ownership}: a strict shape (400 before any check), and a job
 * record and worker payload that carry exactly what was asked, which the worker holds against each other. The real
 * restores are in RolesRestoreIT (module backup).
 */
class RestoreRolesRulesTest {
    static Stream<Arguments> badShapes() {
        String roles = "Field 'roles' must be \"create-missing\"";
        String ownership = "Field 'ownership' must be true or false";
        return Stream.of(
                Arguments.of("roles true", "roles", true, roles),
                Arguments.of("roles all", "roles", "all", roles),
                Arguments.of("roles upper case", "roles", "CREATE-MISSING", roles),
                Arguments.of("roles a list", "roles", List.of("create-missing"), roles),
                Arguments.of("roles empty", "roles", "", roles),
                Arguments.of("ownership a string", "ownership", "true", ownership),
                Arguments.of("ownership a number", "ownership", 1, ownership),
                Arguments.of("ownership null", "ownership", null, ownership));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badShapes")
    void anyOtherShapeIsRefusedBeforeAnyCheck(String name, String field, Object value, String message) {
        RestoreApiFixture.Stack s = new RestoreApiFixture.Stack();
        Map<String, Object> fields = new HashMap<>(RestoreApiFixture.fields("filename", s.productionBackup,
                "passkey", TestStack.PASSKEY));
        fields.put(field, value);

        APIGatewayV2HTTPResponse r = RestoreApiFixture.post(s, fields);

        assertEquals(400, r.getStatusCode(), r.getBody());
        String said = (String) RestoreApiFixture.json(r).get("message");
        assertTrue(said.startsWith(message), said);
        s.assertNothingStarted();
    }

    @Test
    void theOptionsGoIntoTheJobRecordAndThePayloadAndTheAuditLine() {
        RestoreApiFixture.Stack s = new RestoreApiFixture.Stack(Map.of(), false);

        APIGatewayV2HTTPResponse started = RestoreApiFixture.post(s, RestoreApiFixture.fields("filename",
                s.productionBackup, "passkey", TestStack.PASSKEY, "into", "copy", "roles", "create-missing",
                "ownership", true));

        assertEquals(202, started.getStatusCode(), started.getBody());
        Map<String, Object> payload = RestoreApiFixture.map(s.unit.launches.get(0));
        assertEquals("create-missing,ownership", payload.get("roles"));
        JobRecord job = s.unit.wiring.jobs.find((String) payload.get("jobId")).orElseThrow();
        assertEquals("create-missing,ownership", job.roles());
        RestoreRequest asked = RestoreRequest.of(job);
        assertEquals(new RoleOptions(true, true), asked.roles());
        WorkerPayload p = WorkerPayload.from(payload).orElseThrow();
        assertTrue(asked.matches(p, s.unit.wiring.config.restoreMode()));
        // a payload that asks for less (or more) than the record is not the job's
        assertTrue(!asked.matches(new WorkerPayload(p.jobId(), p.environment(), p.filename(), p.how(), null,
                "create-missing"), s.unit.wiring.config.restoreMode()));
        assertTrue(!RestoreRequest.COPY.matches(p, s.unit.wiring.config.restoreMode()));
        assertTrue(s.unit.audit().contains("\"roles\":\"create-missing,ownership\""), s.unit.audit());
    }

    @Test
    void ownershipAloneOrFalseIsWhatItSays() {
        RestoreApiFixture.Stack alone = new RestoreApiFixture.Stack(Map.of(), false);
        RestoreApiFixture.Stack off = new RestoreApiFixture.Stack(Map.of(), false);

        RestoreApiFixture.post(alone, RestoreApiFixture.fields("filename", alone.productionBackup, "passkey",
                TestStack.PASSKEY, "into", "copy", "ownership", true));
        RestoreApiFixture.post(off, RestoreApiFixture.fields("filename", off.productionBackup, "passkey",
                TestStack.PASSKEY, "into", "copy", "ownership", false));

        assertEquals("ownership", RestoreApiFixture.map(alone.unit.launches.get(0)).get("roles"));
        assertEquals(false, RestoreApiFixture.map(off.unit.launches.get(0)).containsKey("roles"),
                "no options: the payload of every restore before");
    }

    @Test
    void theEncodingRoundTrips() {
        for (RoleOptions o : List.of(RoleOptions.NONE, new RoleOptions(true, false), new RoleOptions(false, true),
                new RoleOptions(true, true))) {
            assertEquals(o, RoleOptions.decode(o.encoded()));
        }
        assertEquals(RoleOptions.NONE, RoleOptions.decode("superuser"));
    }
}
