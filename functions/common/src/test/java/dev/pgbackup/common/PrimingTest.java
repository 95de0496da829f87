package dev.pgbackup.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgbackup.testsupport.UnitStack;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrimingTest {
    @Test
    void primingReadsNoSecretAndWritesNothing() {
        UnitStack stack = UnitStack.create("production", Map.of("JWT_AUDIENCE", "pharmatracker-web",
                "JWT_ISSUER", "https://auth.example.com"));
        stack.secrets.clear(); // Priming gets no SecretSource at all; this makes sure the stack has none either

        assertEquals(List.of(), new Priming(stack.wiring.config, stack.objects).warm(), "every step ran");

        assertEquals(List.of(), stack.objects.writes());
        assertEquals("", stack.audit(), "no audit line: nothing was requested");
    }

    @Test
    void aBucketThatCannotBeReachedOnlyCostsItsWarmUp() {
        UnitStack stack = UnitStack.create("production");
        assertEquals(List.of("s3"), new Priming(stack.wiring.config, stack.objects.withoutBucket()).warm());
    }

    @Test
    void primingStillAnswersAfterwardsWithTheRealSecret() throws Exception {
        UnitStack stack = UnitStack.create("production");
        assertEquals(List.of(), new Priming(stack.wiring.config, stack.objects).warm());

        var response = new dev.pgbackup.common.http.ApiEdge(stack.wiring.auth, stack.wiring.audit, "production")
                .serve("test", "failed", dev.pgbackup.testsupport.ApiEvents.request("GET", "/x",
                        dev.pgbackup.testsupport.TestStack.bearer(stack.token("alice", "WEB_ACCESS")), null),
                        (who, audit) -> dev.pgbackup.common.http.ApiResponses.ok(Map.of("who", who.subject())));

        assertEquals(200, response.getStatusCode(), response.getBody());
    }
}
