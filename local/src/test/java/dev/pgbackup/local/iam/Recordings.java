package dev.pgbackup.local.iam;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.template.Stack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the tests' functions asked AWS for, as {@code testsupport.CallLog} wrote it in each module's
 * {@code target/iam-calls/}: the stacks (deployed again here from their parameters) and their functions' calls.
 */
final class Recordings {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request a function made: as recorded, and where (its stack, the module whose tests made it). */
    record Call(Stack stack, String stackId, String function, String service, String operation,
            Map<String, Object> request, Map<String, Object> response, String failure, String module) {
        String describe() {
            Object key = request.get("Key");
            Object name = request.getOrDefault("Name", request.getOrDefault("SecretId",
                    request.getOrDefault("FunctionName", request.getOrDefault("TopicArn", request.get("KeyId")))));
            return service + " " + operation + (key != null ? " " + request.get("Bucket") + "/" + key
                    : request.get("Bucket") != null ? " " + request.get("Bucket") + (request.get("Prefix") != null
                            ? " prefix " + request.get("Prefix") : "") : name != null ? " " + name : "")
                    + (failure != null ? " (answered " + failure + ")" : "");
        }
    }

    final Map<String, Stack> stacks = new LinkedHashMap<>();
    /** Each stack's parameters as the test gave them (the rest are the template's defaults). */
    final Map<String, Map<String, String>> given = new LinkedHashMap<>();
    final List<Call> calls = new ArrayList<>();
    /** The modules that recorded anything. */
    final List<String> modules = new ArrayList<>();

    static Recordings read(Path root, SamTemplate template) {
        Recordings r = new Recordings();
        List<Path> files = new ArrayList<>();
        for (String module : List.of("functions/common", "functions/backup", "functions/list", "functions/restore",
                "local")) {
            Path dir = root.resolve(module).resolve("target/iam-calls");
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> found = Files.list(dir)) {
                List<Path> mine = found.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
                if (!mine.isEmpty()) {
                    r.modules.add(module);
                }
                files.addAll(mine);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        // stacks first: a call may be in another file than its stack's line (a function run in another process)
        List<Map<String, Object>> callLines = new ArrayList<>();
        for (Path file : files) {
            String module = root.relativize(file).getName(0).toString().equals("functions")
                    ? root.relativize(file).subpath(0, 2).toString() : root.relativize(file).getName(0).toString();
            for (Map<String, Object> line : lines(file)) {
                if ("stack".equals(line.get("type"))) {
                    r.deploy(template, line);
                } else {
                    line.put("module", module);
                    callLines.add(line);
                }
            }
        }
        for (Map<String, Object> line : callLines) {
            Stack stack = r.stacks.get((String) line.get("stack"));
            if (stack == null) {
                throw new IllegalStateException("a call of an unknown stack: " + line);
            }
            r.calls.add(new Call(stack, (String) line.get("stack"), (String) line.get("function"),
                    (String) line.get("service"),
                    (String) line.get("operation"), map(line.get("request")), map(line.get("response")),
                    (String) line.get("failure"), (String) line.get("module")));
        }
        return r;
    }

    @SuppressWarnings("unchecked")
    private void deploy(SamTemplate template, Map<String, Object> line) {
        String id = (String) line.get("stack");
        String name = (String) line.getOrDefault("name", id);
        Map<String, String> parameters = (Map<String, String>) line.get("parameters");
        stacks.put(id, template.deploy(name, parameters, (Map<String, String>) line.get("physical")));
        given.put(id, parameters);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value == null ? Map.of() : (Map<String, Object>) value;
    }

    private static List<Map<String, Object>> lines(Path file) {
        List<Map<String, Object>> lines = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                try {
                    if (!line.isBlank()) {
                        lines.add(JSON.readValue(line, new TypeReference<Map<String, Object>>() {}));
                    }
                } catch (com.fasterxml.jackson.core.JsonProcessingException cut) {
                    // the last line of a JVM that was killed while writing it: nothing to evaluate
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return lines;
    }
}
