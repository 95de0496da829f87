package dev.pgbackup.restore;

import dev.pgbackup.common.failure.Failure;

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

    private final String reason;
    private final TargetState state;
    private final String target;
    private final String renamedTo;

    private RestoreFailure(Kind kind, String reason, String diagnostic, TargetState state, String target,
                           String renamedTo) {
        super(kind, reason + describe(state, target, renamedTo), diagnostic);
        this.reason = reason;
        this.state = state;
        this.target = target;
        this.renamedTo = renamedTo;
    }

    /** The target was not touched. */
    public static RestoreFailure unchanged(String target, String reason, String diagnostic) {
        return new RestoreFailure(Kind.SERVER, reason, diagnostic, TargetState.UNCHANGED, target, null);
    }

    public static RestoreFailure unchanged(String target, String reason) {
        return unchanged(target, reason, null);
    }

    /** A safety check refused the restore before anything was touched (409, like the other safety checks). */
    public static RestoreFailure refused(String target, String reason) {
        return new RestoreFailure(Kind.CONFLICT, reason, null, TargetState.UNCHANGED, target, null);
    }

    /** The request names something the backup does not have (a table): nothing was created (404). */
    public static RestoreFailure notInBackup(String target, String reason) {
        return new RestoreFailure(Kind.NOT_FOUND, reason, null, TargetState.UNCHANGED, target, null);
    }

    /** The original database is now named {@code renamedTo}; the message says how to put it back. */
    public static RestoreFailure renamedAway(String target, String reason, String renamedTo) {
        return new RestoreFailure(Kind.SERVER, reason, null, TargetState.RENAMED_AWAY, target, renamedTo);
    }

    /** The same failure after an in-place drop: whatever happened next, the target is gone. */
    public static RestoreFailure afterDrop(String target, Failure cause) {
        String reason = cause instanceof RestoreFailure r ? r.reason : cause.getMessage();
        return new RestoreFailure(cause.kind(), reason, cause.diagnostic(), TargetState.DROPPED, target, null);
    }

    /**
     * The same failure naming the roles the restore created before it failed: roles belong to the server, they stay
     * (they own nothing yet and have no password), and the operator is told which.
     */
    public RestoreFailure withRolesCreated(java.util.List<String> roles) {
        if (roles.isEmpty()) {
            return this;
        }
        RestoreFailure named = new RestoreFailure(kind(), reason + "; the roles it created remain on the server: "
                + RoleRestore.names(roles), diagnostic(), state, target, renamedTo);
        named.setStackTrace(getStackTrace());
        return named;
    }

    public TargetState state() {
        return state;
    }

    public String target() {
        return target;
    }

    /** What went wrong, without the sentence about the target (a drill says what it did with its scratch copy). */
    public String reason() {
        return reason;
    }

    private static String describe(TargetState state, String target, String renamedTo) {
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
