package dev.pgbackup.common.failure;

/**
 * Every failure a caller may see: what kind it is (which becomes the HTTP status at the edge, or a FAILED
 * job record in a worker), a message safe to show anyone holding the role, and an optional diagnostic
 * (scrubbed of secrets) that stays in the environment's own log and job record.
 */
public class Failure extends RuntimeException {
    public enum Kind {
        BAD_REQUEST(400), UNAUTHENTICATED(401), FORBIDDEN(403), NOT_FOUND(404), CONFLICT(409), TOO_LARGE(413), UNPROCESSABLE(422),
        SERVER(500), UNAVAILABLE(503);

        public final int status;

        Kind(int status) {
            this.status = status;
        }
    }

    private final Kind kind;
    private final String diagnostic;

    public Failure(Kind kind, String message, String diagnostic) {
        super(message);
        this.kind = kind;
        this.diagnostic = diagnostic;
    }

    public Failure(Kind kind, String message) {
        this(kind, message, null);
    }

    public static Failure badRequest(String message) {
        return new Failure(Kind.BAD_REQUEST, message);
    }

    public static Failure conflict(String message) {
        return new Failure(Kind.CONFLICT, message);
    }

    public static Failure notFound(String message) {
        return new Failure(Kind.NOT_FOUND, message);
    }

    public static Failure server(String message) {
        return new Failure(Kind.SERVER, message);
    }

    public static Failure server(String message, String diagnostic) {
        return new Failure(Kind.SERVER, message, diagnostic);
    }

    public Kind kind() {
        return kind;
    }

    public int status() {
        return kind.status;
    }

    /** Scrubbed detail for operators (stderr of a tool, a driver message); never part of an answer. */
    public String diagnostic() {
        return diagnostic;
    }

    /** The audit result this failure is written as. */
    public String auditResult() {
        return switch (kind) {
            case UNAUTHENTICATED, FORBIDDEN -> "DENIED";
            case SERVER, UNAVAILABLE -> "FAILED";
            default -> "REJECTED";
        };
    }
}
