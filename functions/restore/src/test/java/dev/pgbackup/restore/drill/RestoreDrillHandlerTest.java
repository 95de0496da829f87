package dev.pgbackup.restore.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the drill handler scrubs from its messages: every database password the drill read, and nothing else. */
class RestoreDrillHandlerTest {
    @Test
    void theVerificationServersPasswordIsScrubbedWithTheEnvironments() {
        assertEquals(List.of("env-pw", "verify-pw"), RestoreDrillHandler.secrets(List.of("env-pw"),
                Optional.of("postgresql://drill:verify-pw@verify.internal:5432/pharma?sslmode=require")));
    }

    @Test
    void aUrlWithoutPasswordOrNoUrlAddsNothing() {
        assertEquals(List.of("env-pw"), RestoreDrillHandler.secrets(List.of("env-pw"),
                Optional.of("postgresql://drill@verify.internal:5432/pharma")));
        assertEquals(List.of("env-pw"), RestoreDrillHandler.secrets(List.of("env-pw"), Optional.empty()));
        assertEquals(List.of(), RestoreDrillHandler.secrets(List.of(), Optional.empty()));
    }

    @Test
    void aUrlThatDoesNotParseAddsNothingAndDoesNotThrow() {
        assertEquals(List.of("env-pw"), RestoreDrillHandler.secrets(List.of("env-pw"), Optional.of("not a url")));
    }
}
