package dev.pgbackup.list;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.tests.annotations.Event;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.UnitStack;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;

/** The committed list and job-status events through the real handlers on the in-memory stack. */
class ListEventFilesTest {
    private static final String JOB = "3f8e2a4c-9b1d-4e6f-8a2b-7c5d0e9f1a3b"; // the job id in events/job-status.json

    private static Map<String, Object> body(APIGatewayV2HTTPResponse r) throws Exception {
        return Json.MAPPER.readValue(r.getBody(), Map.class);
    }

    private static APIGatewayV2HTTPEvent withToken(APIGatewayV2HTTPEvent event, UnitStack stack) {
        Map<String, String> headers = new HashMap<>(event.getHeaders());
        headers.put("authorization", "Bearer " + stack.token("alice", "WEB_ACCESS"));
        event.setHeaders(headers);
        return event;
    }

    @ParameterizedTest
    @Event(value = "events/list-backups.json", type = APIGatewayV2HTTPEvent.class)
    void theListEventAnswersWithEveryEnvironmentsBackups(APIGatewayV2HTTPEvent event) throws Exception {
        UnitStack stack = UnitStack.create("staging");
        String production = stack.plantBackup("production", UnitStack.T0.minusSeconds(3600));
        String staging = stack.plantBackup("staging", UnitStack.T0.minusSeconds(60));
        ListBackupsHandler handler = new ListBackupsHandler(stack.wiring);

        assertEquals(401, handler.handleRequest(event, new TestContext(Duration.ofSeconds(30))).getStatusCode());
        APIGatewayV2HTTPResponse response = handler.handleRequest(withToken(event, stack),
                new TestContext(Duration.ofSeconds(30)));

        assertEquals(200, response.getStatusCode(), response.getBody());
        List<Map<String, Object>> backups = (List<Map<String, Object>>) body(response).get("backups");
        assertEquals(List.of(staging, production), backups.stream().map(b -> b.get("filename")).toList());
    }

    @ParameterizedTest
    @Event(value = "events/job-status.json", type = APIGatewayV2HTTPEvent.class)
    void theJobStatusEventReadsTheJobOfItsPath(APIGatewayV2HTTPEvent event) throws Exception {
        UnitStack stack = UnitStack.create("staging");
        JobStatusHandler handler = new JobStatusHandler(stack.wiring);

        assertEquals(401, handler.handleRequest(event, new TestContext(Duration.ofSeconds(30))).getStatusCode());
        APIGatewayV2HTTPEvent authorised = withToken(event, stack);
        assertEquals(404, handler.handleRequest(authorised, new TestContext(Duration.ofSeconds(30))).getStatusCode());
        stack.wiring.jobs.save(JobRecord.started(JOB, JobRecord.Type.BACKUP, "staging",
                "pharmatracker-staging-on-2026-11-28-at-03-30-00-PM-IST.dump", "alice", "api", UnitStack.T0));
        APIGatewayV2HTTPResponse response = handler.handleRequest(authorised, new TestContext(Duration.ofSeconds(30)));

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals("RUNNING", body(response).get("status"));
        assertEquals(JOB, body(response).get("jobId"));
    }
}
