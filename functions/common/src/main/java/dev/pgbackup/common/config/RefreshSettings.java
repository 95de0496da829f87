package dev.pgbackup.common.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Refreshing this environment from another one: the source environment of the scheduled refresh (empty: off), and the
 * sanitising script run inside every restored database whose backup comes from another environment, before anyone
 * can see it under this environment's name (an SSM parameter or an object under this stack's own prefix of the
 * bucket, never both).
 */
public record RefreshSettings(String sourceEnvironment, String sanitizeParameter, String sanitizeS3Key) {
    private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*");

    static final RefreshSettings OFF = new RefreshSettings("", null, null);

    /** The scheduled refresh's source, when the schedule is on. */
    public Optional<String> source() {
        return sourceEnvironment.isEmpty() ? Optional.empty() : Optional.of(sourceEnvironment);
    }

    /** Whether a sanitising script is configured (it then runs on every restore of another environment's backup). */
    public boolean sanitizes() {
        return sanitizeParameter != null || sanitizeS3Key != null;
    }

    /**
     * Where a stack's sanitising script may live in the bucket: under its own prefix, which only the operator (and no
     * other stack's role) writes, so no other environment can choose what runs inside this one's databases.
     */
    static String scriptPrefix(String app, String environment) {
        return "pgbackup/sanitize/" + app + "-" + environment + "/";
    }

    static RefreshSettings read(Map<String, String> env, List<String> problems, String app, String environment,
            Set<String> restoreSources, Config.RestoreMode mode) {
        String source = Variable.REFRESH_SOURCE_ENVIRONMENT.in(env);
        if (source != null) {
            if (!ConfigReader.NAME.matcher(source).matches()) {
                problems.add("Environment variable REFRESH_SOURCE_ENVIRONMENT must be an environment name (or empty "
                        + "for no scheduled refresh): " + source);
                source = null;
            } else if (source.equals(environment)) {
                problems.add("Environment variable REFRESH_SOURCE_ENVIRONMENT names this environment itself: a refresh "
                        + "restores another environment's backup (" + source + ")");
                source = null;
            } else if (!restoreSources.isEmpty() && !restoreSources.contains(source)) {
                problems.add("Environment variable REFRESH_SOURCE_ENVIRONMENT names '" + source + "', whose backups "
                        + "RESTORE_SOURCE_ENVIRONMENTS does not accept (" + String.join(",", restoreSources) + ")");
                source = null;
            }
        }
        String parameter = Variable.SANITIZE_SCRIPT_PARAMETER.in(env);
        if (parameter != null && !ConfigReader.PARAMETER_NAME.matcher(parameter).matches()) {
            problems.add(
                    "Environment variable SANITIZE_SCRIPT_PARAMETER must be an SSM parameter name starting with '/' "
                            + "(or empty): " + parameter);
            parameter = null;
        }
        String key = Variable.SANITIZE_SCRIPT_S3_KEY.in(env);
        String prefix = scriptPrefix(app, environment);
        if (key != null && (!key.startsWith(prefix) || !KEY_NAME.matcher(key.substring(prefix.length())).matches()
                || key.contains(".."))) {
            problems.add("Environment variable SANITIZE_SCRIPT_S3_KEY must be a key under " + prefix + " (this stack's "
                    + "own prefix of the bucket), or empty: " + key);
            key = null;
        }
        if (parameter != null && key != null) {
            problems.add("Set SANITIZE_SCRIPT_PARAMETER or SANITIZE_SCRIPT_S3_KEY, not both: one script runs");
        }
        if ((parameter != null || key != null) && mode == Config.RestoreMode.IN_PLACE) {
            // in place, the restored rows are the database's until the script ends: they would be seen unmasked
            problems.add("A sanitising script (SANITIZE_SCRIPT_PARAMETER or SANITIZE_SCRIPT_S3_KEY) needs RESTORE_MODE="
                    + "swap: an in-place restore shows another environment's data under this database's name before "
                    + "the script could run");
        }
        return new RefreshSettings(source == null ? "" : source, parameter, key);
    }

}
