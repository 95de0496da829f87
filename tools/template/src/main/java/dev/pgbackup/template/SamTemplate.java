package dev.pgbackup.template;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * template.yaml as CloudFormation sees it after the SAM transform (aws-sam-translator in the project's .venv, run
 * by {@code translate.py}), with its parameters' declarations. {@link #deploy} resolves it for one parameter set:
 * what a stack deployed with those parameters would hold. The translation is cached under {@code target/template/}
 * by the content of template.yaml and translate.py, so a JVM pays for Python at most once per template change.
 */
public final class SamTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Path, SamTemplate> LOADED = new ConcurrentHashMap<>();

    final Map<String, Object> cloudFormation;
    /** The Resources section's Fn::ForEach loops, which each stack expands with its parameters. */
    final Map<String, List<Object>> loops = new LinkedHashMap<>();
    private final Map<String, Map<String, Object>> parameters;

    @SuppressWarnings("unchecked")
    private SamTemplate(Map<String, Object> translated) {
        Map<String, Object> resources = new LinkedHashMap<>();
        ((Map<String, Object>) translated.getOrDefault("Resources", Map.of())).forEach((id, resource) -> {
            if (id.startsWith(ForEach.PREFIX)) {
                loops.put(id, (List<Object>) resource);
            } else {
                resources.put(id, resource);
            }
        });
        this.cloudFormation = new LinkedHashMap<>(translated);
        this.cloudFormation.put("Resources", resources);
        this.parameters = section("Parameters");
    }

    /** The repository's template.yaml, translated once per JVM (and once per change across JVMs). */
    public static SamTemplate load(Path repositoryRoot) {
        return LOADED.computeIfAbsent(repositoryRoot.toAbsolutePath().normalize(), SamTemplate::translate);
    }

    /** An already translated CloudFormation template (JSON), for tests of the resolver itself. */
    public static SamTemplate of(Map<String, Object> cloudFormation) {
        return new SamTemplate(cloudFormation);
    }

    @SuppressWarnings("unchecked")
    private static SamTemplate translate(Path root) {
        Path template = root.resolve("template.yaml");
        Path script = root.resolve("tools/template/translate.py");
        try {
            String key = sha256(Files.readAllBytes(template), Files.readAllBytes(script));
            Path cached = root.resolve("target/template/cloudformation-" + key + ".json");
            if (!Files.isRegularFile(cached)) {
                Files.createDirectories(cached.getParent());
                Path python = root.resolve(".venv/bin/python");
                if (!Files.isExecutable(python)) {
                    throw new IllegalStateException("no " + python + ": scripts/test.sh installs aws-sam-cli (and its "
                            + "aws-sam-translator) there");
                }
                Path out = Files.createTempFile(cached.getParent(), "translating-", ".json");
                Path err = Files.createTempFile(cached.getParent(), "translating-", ".err");
                ProcessBuilder builder = new ProcessBuilder(python.toString(), script.toString(), template.toString())
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                builder.environment().put("AWS_DEFAULT_REGION", "us-east-1");
                builder.environment().put("SAM_CLI_TELEMETRY", "0");
                Process process = builder.start();
                if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                    process.destroyForcibly();
                    throw new IllegalStateException("the SAM transform of template.yaml failed: "
                            + Files.readString(err, StandardCharsets.UTF_8));
                }
                Files.deleteIfExists(err);
                // another JVM may translate at the same time: both write the same bytes, one rename wins
                Files.move(out, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return new SamTemplate(JSON.readValue(cached.toFile(), Map.class));
        } catch (IOException e) {
            throw new IllegalStateException("cannot translate " + template + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(byte[]... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (byte[] part : parts) {
                digest.update(part);
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> section(String name) {
        Object section = cloudFormation.get(name);
        return section == null ? Map.of() : (Map<String, Map<String, Object>>) section;
    }

    /** The parameters' names, in template order. */
    public List<String> parameterNames() {
        return List.copyOf(parameters.keySet());
    }

    /** A parameter's declaration (Type, Default, AllowedValues, AllowedPattern, Description, ...). */
    public Map<String, Object> parameter(String name) {
        Map<String, Object> declaration = parameters.get(name);
        if (declaration == null) {
            throw new IllegalArgumentException("template.yaml has no parameter " + name);
        }
        return declaration;
    }

    /** The template's Metadata section (AWS::CloudFormation::Interface, ...). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> metadata() {
        return (Map<String, Object>) cloudFormation.getOrDefault("Metadata", Map.of());
    }

    /**
     * The parameter a function variable is set from: the one parameter its value in the template refers to (so
     * {@code RETENTION_COUNT: !Ref RetentionCount} is RetentionCount, and {@code BACKUP_KMS_KEY_ID}, the stack's key
     * unless one is given, is BackupKmsKeyArn). None when the value names no parameter (PG_TOOLS_DIR: /opt) or
     * several.
     */
    public java.util.Optional<String> parameterOf(String variable) {
        for (Map<String, Object> resource : section("Resources").values()) {
            if (!"AWS::Lambda::Function".equals(resource.get("Type"))) {
                continue;
            }
            Object value = variables(resource).get(variable);
            if (value != null) {
                List<String> refs = new ArrayList<>();
                collectParameterRefs(value, refs);
                return refs.stream().distinct().count() == 1 ? java.util.Optional.of(refs.get(0))
                        : java.util.Optional.empty();
            }
        }
        return java.util.Optional.empty();
    }

    /** Every variable any function of the template sets (whatever the parameters), with the functions setting it. */
    public Map<String, List<String>> variablesSet() {
        Map<String, List<String>> set = new LinkedHashMap<>();
        section("Resources").forEach((id, resource) -> {
            if ("AWS::Lambda::Function".equals(resource.get("Type"))) {
                variables(resource).keySet().forEach(v -> set.computeIfAbsent(v, k -> new ArrayList<>()).add(id));
            }
        });
        return set;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> variables(Map<String, Object> function) {
        Map<String, Object> properties = (Map<String, Object>) function.getOrDefault("Properties", Map.of());
        Map<String, Object> environment = (Map<String, Object>) properties.getOrDefault("Environment", Map.of());
        return (Map<String, Object>) environment.getOrDefault("Variables", Map.of());
    }

    @SuppressWarnings("unchecked")
    private void collectParameterRefs(Object node, List<String> refs) {
        if (node instanceof Map<?, ?> map) {
            Object ref = map.get("Ref");
            if (ref instanceof String name && parameters.containsKey(name)) {
                refs.add(name);
            }
            Object sub = map.get("Fn::Sub");
            String text = sub instanceof String s ? s
                    : sub instanceof List<?> l && l.get(0) instanceof String s0 ? s0 : null;
            if (text != null) {
                var m = SUB_VARIABLE.matcher(text);
                while (m.find()) {
                    if (parameters.containsKey(m.group(1))) {
                        refs.add(m.group(1));
                    }
                }
            }
            map.values().forEach(v -> collectParameterRefs(v, refs));
        } else if (node instanceof List<?> list) {
            list.forEach(v -> collectParameterRefs(v, refs));
        }
    }

    static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^!}][^}]*)}");

    /**
     * The stack this template makes with {@code parameters} (the others at their defaults) in a stack named
     * {@code stackName}; {@code physicalIds} names resources that exist outside the resolver (the tests' KMS key and
     * topic in moto), the rest get names derived from the stack's.
     */
    public Stack deploy(String stackName, Map<String, String> parameters, Map<String, String> physicalIds) {
        return new Stack(this, stackName, parameters, physicalIds);
    }
}
