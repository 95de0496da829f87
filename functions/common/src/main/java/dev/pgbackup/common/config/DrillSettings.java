package dev.pgbackup.common.config;

import java.time.Duration;
import java.util.Optional;

/**
 * Restore drills: where the scratch database is made, whether backups count the rows they dump (the drill
 * compares them), how old the newest successful drill may get before the alarm, and the drill function's own
 * limits (a standard Lambda function even when the workers run on managed instances: at most 900 s).
 *
 * @param verificationUrlParameter an SSM SecureString with a verification server's URL; empty: the environment's
 *                                 own server (a scratch database beside the environment's, never the same one)
 */
public record DrillSettings(String verificationUrlParameter, boolean recordRowCounts, Duration alarmAfter,
        Config.WorkerLimits worker) {
    /** The drill function's Lambda timeout can never exceed standard Lambda's. */
    static final Duration MAX_TIMEOUT = Duration.ofSeconds(900);
    /** The drill function's EventInvokeConfig in template.yaml (part of a drill's staleness). */
    static final Duration MAX_EVENT_AGE = Duration.ofSeconds(300);

    public Optional<String> verificationServer() {
        return verificationUrlParameter.isEmpty() ? Optional.empty() : Optional.of(verificationUrlParameter);
    }
}
