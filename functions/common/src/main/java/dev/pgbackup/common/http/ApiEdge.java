package dev.pgbackup.common.http;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.auth.Caller;
import dev.pgbackup.common.auth.JwtAuthenticator;
import dev.pgbackup.common.failure.Failure;

/**
 * The one place where an API request meets the domain: an audit entry, the caller's token, the handler's
 * work, and every failure turned into its status, JSON body and audit line. Handlers only say what
 * success looks like.
 */
public final class ApiEdge {
    /** The work of one endpoint for an authenticated caller; it writes its own success line. */
    @FunctionalInterface
    public interface Work {
        APIGatewayV2HTTPResponse handle(Caller who, AuditLog.Entry audit);
    }

    private final JwtAuthenticator auth;
    private final AuditLog audit;
    private final String environment;

    public ApiEdge(JwtAuthenticator auth, AuditLog audit, String environment) {
        this.auth = auth;
        this.audit = audit;
        this.environment = environment;
    }

    /**
     * @param action  the audit action ("backup.request", ...)
     * @param failing how an unexpected fault is described to the caller ("Backup could not be started")
     */
    public APIGatewayV2HTTPResponse serve(String action, String failing, APIGatewayV2HTTPEvent event, Work work) {
        AuditLog.Entry entry = audit.entry(action).with("environment", environment);
        try {
            Caller who = auth.authenticate(event.getHeaders());
            entry.with("subject", who.subject());
            return work.handle(who, entry);
        } catch (Failure f) {
            return respond(f, entry);
        } catch (RuntimeException e) {
            // a fault on our side (S3, SSM, a bug): the class for the operator, no internals for the caller
            return respond(Failure.server(failing + ": " + e.getClass().getSimpleName(),
                    String.valueOf(e.getMessage())), entry);
        }
    }

    /** A failure's answer, and its audit line (with the diagnostic, which the answer never carries). */
    public static APIGatewayV2HTTPResponse respond(Failure f, AuditLog.Entry entry) {
        entry.with("status", f.status()).with("message", f.getMessage()).with("diagnostic", f.diagnostic())
                .write(f.auditResult());
        return ApiResponses.error(f.status(), f.getMessage());
    }
}
