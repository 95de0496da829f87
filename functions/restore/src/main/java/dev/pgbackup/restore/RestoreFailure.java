package dev.pgbackup.restore;

import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.failure.Verdict;

/**
 * A restore that stopped, with what state it left the target in as data: the message a caller reads ends
 * with that state, composed here and only here.
 */
public final class RestoreFailure extends Failure {
    /** The target database after the failure. */
    public enum TargetState {
        /** Exactly as it was (swap mode before the swap, or any check before anything ran). */
        UNCHANGED,
        /** In-place mode after the drop: empty or missing. */
        DROPPED,
        /** The swap's undo failed: the original database is under another name. */
        RENAMED_AWAY
    }

    private final TargetState state;
    private final RestoreTarget target;
    private final String renamedTo;

    private RestoreFailure(Kind kind, Verdict verdict, String reason, String diagnostic, TargetState state,
            RestoreTarget target, String renamedTo) {
        super(kind, verdict, reason, describe(state, target, renamedTo), diagnostic);
        this.state = state;
        this.target = target;
        this.renamedTo = renamedTo;
    }

    private RestoreFailure(Kind kind, Verdict verdict, String reason, String diagnostic, TargetState state,
            String target, String renamedTo) {
        this(kind, verdict, reason, diagnostic, state, RestoreTarget.named(target), renamedTo);
    }

    /** The target was not touched. */
    public static RestoreFailure unchanged(RestoreTarget target, Verdict verdict, String reason, String diagnostic) {
        return new RestoreFailure(Kind.SERVER, verdict, reason, diagnostic, TargetState.UNCHANGED, target, null);
    }

    public static RestoreFailure unchanged(String target, Verdict verdict, String reason, String diagnostic) {
        return unchanged(RestoreTarget.named(target), verdict, reason, diagnostic);
    }

    public static RestoreFailure unchanged(RestoreTarget target, Verdict verdict, String reason) {
        return unchanged(target, verdict, reason, null);
    }

    public static RestoreFailure unchanged(String target, Verdict verdict, String reason) {
        return unchanged(target, verdict, reason, null);
    }

    /** The commonest: the restore failed and the target was not touched. */
    public static RestoreFailure failed(RestoreTarget target, String reason, String diagnostic) {
        return unchanged(target, Verdict.RESTORE_FAILED, reason, diagnostic);
    }

    public static RestoreFailure failed(RestoreTarget target, String reason) {
        return unchanged(target, Verdict.RESTORE_FAILED, reason, null);
    }

    public static RestoreFailure failed(String target, String reason, String diagnostic) {
        return failed(RestoreTarget.named(target), reason, diagnostic);
    }

    public static RestoreFailure failed(String target, String reason) {
        return failed(RestoreTarget.named(target), reason);
    }

    /** Worded whole by someone else (a KMS refusal, an interruption): no verdict opens it. */
    public static RestoreFailure unchanged(RestoreTarget target, String statement, String diagnostic) {
        return unchanged(target, null, statement, diagnostic);
    }

    public static RestoreFailure unchanged(String target, String statement, String diagnostic) {
        return unchanged(RestoreTarget.named(target), null, statement, diagnostic);
    }

    public static RestoreFailure unchanged(String target, String statement) {
        return unchanged(target, statement, null);
    }

    public static RestoreFailure unchanged(RestoreTarget target, String statement) {
        return unchanged(target, statement, null);
    }

    /** A safety check refused the restore before anything was touched (409, like the other safety checks). */
    public static RestoreFailure refused(String target, String reason) {
        return new RestoreFailure(Kind.CONFLICT, Verdict.RESTORE_REFUSED, reason, null, TargetState.UNCHANGED, target,
                null);
    }

    /** The request names something the backup does not have (a table): nothing was created (404). */
    public static RestoreFailure notInBackup(String target, String reason) {
        return new RestoreFailure(Kind.NOT_FOUND, Verdict.RESTORE_REFUSED, reason, null, TargetState.UNCHANGED, target,
                null);
    }

    /** The original database is now named {@code renamedTo}; the message says how to put it back. */
    public static RestoreFailure renamedAway(String target, String statement, String renamedTo) {
        return new RestoreFailure(Kind.SERVER, null, statement, null, TargetState.RENAMED_AWAY, target, renamedTo);
    }

    /** The same failure after an in-place drop: whatever happened next, the target is gone. */
    public static RestoreFailure afterDrop(String target, Failure cause) {
        return new RestoreFailure(cause.kind(), cause.verdict(), cause.reason(), cause.diagnostic(),
                TargetState.DROPPED, target, null);
    }

    /**
     * The same failure naming the roles the restore created before it failed: roles belong to the server, they stay
     * (they own nothing yet and have no password), and the operator is told which.
     */
    public RestoreFailure withRolesCreated(java.util.List<String> roles) {
        if (roles.isEmpty()) {
            return this;
        }
        RestoreFailure named = new RestoreFailure(kind(), verdict(), reason() + "; the roles it created remain on the "
                + "server: " + RoleRestore.names(roles), diagnostic(), state, target, renamedTo);
        named.setStackTrace(getStackTrace());
        return named;
    }

    public TargetState state() {
        return state;
    }

    public String target() {
        return target.toString();
    }

    /** What became of the target; nothing for a scratch database, whose fate its drill states. */
    private static String describe(TargetState state, RestoreTarget restored, String renamedTo) {
        if (restored.isScratch()) {
            return "";
        }
        String target = restored.database();
        return switch (state) {
            case UNCHANGED -> ". The database '" + target + "' was not changed";
            case DROPPED -> ". In-place mode: the database '" + target + "' had already been dropped and is now empty "
                    + "or missing; restore another backup to recover";
            case RENAMED_AWAY -> ". The original database is now named '" + renamedTo + "'. Run: ALTER DATABASE "
                    + DatabaseNames.quoteIdent(renamedTo) + " RENAME TO " + DatabaseNames.quoteIdent(target)
                    + " (the next restore also repairs this)";
        };
    }
}
