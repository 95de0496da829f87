package dev.pgbackup.common.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;

class RedactorTest {
    @Test
    void removesKnownSecretsAndSecretShapedText() {
        String text = "pg_dump: error: connection to server failed: password authentication failed for user \"app\" "
                + "(tried postgresql://app:hunter22@db:5432/x) password=hunter22 Authorization: Bearer eyJhbGciOi.abc.def PGPASSWORD=zzz";
        String out = Redactor.scrub(text, List.of("hunter22"));
        assertFalse(out.contains("hunter22"), out);
        assertFalse(out.contains("eyJhbGciOi"), out);
        assertFalse(out.contains("zzz"), out);
        assertFalse(out.contains("app:"), out);
    }

    @Test
    void removesTheSignatureOfAnIamTokenButKeepsASecretsArn() {
        String token = "db.example.com:5432/?DBUser=app&Action=connect&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assertFalse(Redactor.scrub("tried " + token, List.of()).contains("0123456789abcdef"));
        String arn = "Secrets Manager secret not found: arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1-AbC";
        assertEquals(arn, Redactor.scrub(arn, List.of()));
    }

    @Test
    void leavesOrdinaryMessagesAlone() {
        String text = "pg_dump: error: query failed: ERROR:  permission denied for table customers";
        assertEquals(text, Redactor.scrub(text, List.of()));
    }
}
