package dev.pgbackup.common.failure;

/**
 * Every failure a caller may see: what kind it is (which becomes the HTTP status at the edge, or a FAILED
 * job record in a worker), a message safe to show anyone holding the role, and an optional diagnostic
 * (scrubbed of secrets) that stays in the environment's own log and job record.
 */
public class Failure extends RuntimeException {
    public enum Kind {
        BAD_REQUEST(400), UNAUTHENTICATED(401), FORBIDDEN(403), NOT_FOUND(404), CONFLICT(409), TOO_LARGE(
                413), UNPROCESSABLE(422), SERVER(500), UNAVAILABLE(503);

        public final int status;

        Kind(int status) {
            this.status = status;
        }
    }

    private final Kind kind;
    private final Verdict verdict;
    private final String reason;
    private final String diagnostic;

    public Failure(Kind kind, String message, String diagnostic) {
        this(kind, null, message, "", diagnostic);
    }

    public Failure(Kind kind, Verdict verdict, String reason) {
        this(kind, verdict, reason, "", null);
    }

    /**
     * The message is the verdict's words (when there is one), the reason, then {@code tail}: what a kind of failure
     * adds after the reason (a restore's target state), which a caller reading the reason does not want.
     */
    protected Failure(Kind kind, Verdict verdict, String reason, String tail, String diagnostic) {
        super((verdict == null ? reason : verdict.message(reason)) + tail);
        this.kind = kind;
        this.verdict = verdict;
        this.reason = reason;
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

    public static Failure conflict(Verdict verdict, String reason) {
        return new Failure(Kind.CONFLICT, verdict, reason);
    }

    public static Failure server(Verdict verdict, String reason) {
        return new Failure(Kind.SERVER, verdict, reason);
    }

    public static Failure server(Verdict verdict, String reason, String diagnostic) {
        return new Failure(Kind.SERVER, verdict, reason, "", diagnostic);
    }

    public Kind kind() {
        return kind;
    }

    public int status() {
        return kind.status;
    }

    /** The words the message opens with; null when it has none (its reason is then the whole statement). */
    public final Verdict verdict() {
        return verdict;
    }

    /** Why, without the verdict's words and without what a kind of failure appends (the message minus both). */
    public final String reason() {
        return reason;
    }

    /** The verdict's words and the reason: the message without what a kind of failure appends after it. */
    public final String statement() {
        return verdict == null ? reason : verdict.message(reason);
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
