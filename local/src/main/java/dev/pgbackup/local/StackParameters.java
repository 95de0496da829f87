package dev.pgbackup.local;

import dev.pgbackup.common.config.Variable;
import dev.pgbackup.template.SamTemplate;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stack parameters a local run deploys template.yaml with. Kept apart from {@link LocalRun} because it is the
 * one place that translates the developer's variables into what an operator would pass to {@code sam deploy}.
 */
final class StackParameters {
    private StackParameters() {}

    /**
     * The local defaults, then each function variable given (translated to the parameter of template.yaml that sets
     * it) and each parameter given by its own name. A variable the template sets from no parameter cannot be given:
     * a deployed stack could not have another value either.
     */
    static Map<String, String> of(LocalEnvironment env, Path root) {
        SamTemplate template = SamTemplate.load(root);
        String app = env.get("APP_NAME", "pharmatracker");
        String environment = env.get("ENVIRONMENT", "staging");
        Map<String, String> p = new LinkedHashMap<>();
        p.put("AppName", app);
        p.put("EnvironmentName", environment);
        p.put("BucketName", app + "-backups");
        p.put("DbUrlParameterName", "/" + app + "/" + environment + "/db-url");
        p.put("JwtSecretParameterName", "/" + app + "/" + environment + "/jwt-secret");
        p.put("RestorePasskeyParameterName", "/" + app + "/" + environment + "/restore-passkey");
        for (Map.Entry<String, String> e : env.all().entrySet()) {
            String key = e.getKey();
            if (template.parameterNames().contains(key)) {
                p.put(key, e.getValue());
            } else if (isFunctionVariable(key) && !key.equals("PG_TOOLS_DIR")) {
                String parameter = template.parameterOf(key).orElseThrow(() -> new IllegalStateException(key
                        + " is set by template.yaml itself, not from a stack parameter: it cannot be changed"));
                p.put(parameter, e.getValue());
            }
        }
        if (env.get("SANITIZE_SCRIPT_FILE", null) != null) {
            // the run stores the file in this parameter (AwsSeeding), as an operator stores the script in SSM
            p.putIfAbsent("SanitizeScriptParameter", "/" + app + "/" + environment + "/sanitize-script");
        }
        return p;
    }

    private static boolean isFunctionVariable(String name) {
        try {
            return Variable.valueOf(name).source == Variable.Source.TEMPLATE;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
