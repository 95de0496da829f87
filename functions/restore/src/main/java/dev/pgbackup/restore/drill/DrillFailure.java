package dev.pgbackup.restore.drill;

import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.failure.Verdict;

/**
 * A restore drill that did not pass: why, which backup, and what became of its scratch database, composed here
 * and only here. The environment's own database is never part of a drill, so no message needs to mention it.
 */
public final class DrillFailure extends Failure {
    private DrillFailure(String reason, String tail, String diagnostic) {
        super(Kind.SERVER, Verdict.DRILL_FAILED, reason, tail, diagnostic);
    }

    static DrillFailure noBackup(String environment) {
        return new DrillFailure("there is no backup of '" + environment + "' to restore", "", null);
    }

    /** Before a scratch database existed. */
    static DrillFailure before(String filename, String reason, String diagnostic) {
        return new DrillFailure(reason, " (backup " + filename + "); no scratch database was created", diagnostic);
    }

    /** After the scratch database was made: {@code notDropped} says why it is still there, when it is. */
    static DrillFailure after(String filename, String reason, String diagnostic, String scratch, String notDropped) {
        return new DrillFailure(reason, " (backup " + filename + "); " + scratchFate(scratch, notDropped), diagnostic);
    }

    /** Everything passed but the scratch database stayed: the operator must drop it. */
    static DrillFailure notDropped(String filename, String scratch, String notDropped) {
        return new DrillFailure("restored and checked " + filename + ", but " + scratchFate(scratch, notDropped), "",
                null);
    }

    private static String scratchFate(String scratch, String notDropped) {
        return notDropped == null ? "the scratch database was dropped"
                : "the scratch database '" + scratch + "' could not be dropped (" + notDropped + "); drop it by hand";
    }

    /**
     * A restore step's failure as a drill states it: a restore's "failed" is the drill's own, so only the reason
     * remains; any other verdict (a refusal) stays, and what a restore says of its target never applies to a drill.
     */
    static String reasonOf(Failure f) {
        return f.verdict() == Verdict.RESTORE_FAILED ? f.reason() : f.statement();
    }
}
