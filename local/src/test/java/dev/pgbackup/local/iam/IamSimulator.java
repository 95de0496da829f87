package dev.pgbackup.local.iam;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.local.iam.IamRequests.Request;
import dev.pgbackup.template.Stack;
import dev.pgbackup.testsupport.RepoPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs tools/iam/evaluate.mjs (@cloud-copilot/iam-simulate) once over a batch of requests: each distinct request
 * is evaluated once, each distinct policy sent once.
 */
final class IamSimulator {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The decision on one request, and what made it. */
    record Result(String result, List<String> ignoredContextKeys, List<String> allowedBy, List<String> deniedBy,
            List<Map<String, Object>> nearMisses, Object errors) {
        boolean allowed() {
            return "Allowed".equals(result);
        }

        boolean denied() {
            return "ImplicitlyDenied".equals(result) || "ExplicitlyDenied".equals(result);
        }
    }

    static Map<Request, Result> evaluate(Collection<Request> requests) {
        return evaluate(requests, false);
    }

    /** {@code withoutWorkaround}: iam-simulate as published, to show what its defect does. */
    static Map<Request, Result> evaluate(Collection<Request> requests, boolean withoutWorkaround) {
        Path root = RepoPaths.root();
        Path tool = root.resolve("tools/iam/evaluate.mjs");
        if (!Files.isDirectory(root.resolve("tools/iam/node_modules/@cloud-copilot/iam-simulate"))) {
            throw new IllegalStateException("the IAM evaluator is not installed: bash -c 'source scripts/lib.sh; "
                    + "ensure_iam_tools' (scripts/test.sh does it)");
        }
        Map<String, Object> policies = new LinkedHashMap<>();
        Map<Object, String> policyIds = new HashMap<>();
        List<Request> distinct = new ArrayList<>(new java.util.LinkedHashSet<>(requests));
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < distinct.size(); i++) {
            batch.add(request(i, distinct.get(i), policies, policyIds));
        }
        try {
            Path dir = Files.createDirectories(root.resolve("local/target/iam"));
            // one node process per core: the evaluation is CPU-bound and each request independent
            int processes = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), batch.size() / 500 + 1));
            List<Process> running = new ArrayList<>();
            List<Path[]> files = new ArrayList<>();
            for (int p = 0; p < processes; p++) {
                List<Map<String, Object>> part = new ArrayList<>();
                for (int i = p; i < batch.size(); i += processes) {
                    part.add(batch.get(i));
                }
                Path input = Files.createTempFile(dir, "requests-", ".json");
                JSON.writeValue(input.toFile(), Map.of("policies", policies, "requests", part,
                        "withoutWorkaround", withoutWorkaround));
                Path output = Files.createTempFile(dir, "results-", ".jsonl");
                Path errors = Files.createTempFile(dir, "results-", ".err");
                running.add(new ProcessBuilder("node", tool.toString(), input.toString())
                        .redirectOutput(output.toFile()).redirectError(errors.toFile()).start());
                files.add(new Path[] {input, output, errors});
            }
            Map<Request, Result> results = new HashMap<>();
            for (int p = 0; p < processes; p++) {
                Process node = running.get(p);
                Path[] f = files.get(p);
                if (!node.waitFor(10, TimeUnit.MINUTES) || node.exitValue() != 0) {
                    running.forEach(Process::destroyForcibly);
                    throw new IllegalStateException(
                            "evaluate.mjs failed: " + Files.readString(f[2], StandardCharsets.UTF_8));
                }
                for (String line : Files.readAllLines(f[1], StandardCharsets.UTF_8)) {
                    Map<String, Object> out = JSON.readValue(line, new TypeReference<Map<String, Object>>() {});
                    results.put(distinct.get(Integer.parseInt((String) out.get("id"))), result(out));
                }
                for (Path file : f) {
                    Files.delete(file);
                }
            }
            return results;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + tool, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A request as evaluate.mjs reads it: its policies by id, each written once into {@code policies}. */
    private static Map<String, Object> request(int i, Request r, Map<String, Object> policies,
            Map<Object, String> policyIds) {
        List<String> identity = new ArrayList<>();
        for (Stack.Policy p : r.identity()) {
            identity.add(id(policies, policyIds, p.name(), p.document()));
        }
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("id", Integer.toString(i));
        request.put("principal", r.principal());
        request.put("action", r.action());
        request.put("resource", r.resource());
        request.put("account", Stack.ACCOUNT);
        request.put("context", r.context());
        request.put("identityPolicies", identity);
        request.put("resourcePolicy", r.resourcePolicy() == null ? null
                : id(policies, policyIds, r.resourcePolicyName(), r.resourcePolicy()));
        return request;
    }

    @SuppressWarnings("unchecked")
    private static Result result(Map<String, Object> out) {
        return new Result((String) out.get("result"), (List<String>) out.getOrDefault("ignoredContextKeys", List.of()),
                (List<String>) out.getOrDefault("allowedBy", List.of()),
                (List<String>) out.getOrDefault("deniedBy", List.of()),
                (List<Map<String, Object>>) out.getOrDefault("nearMisses", List.of()), out.get("errors"));
    }

    /** A policy's id in the batch: its name, made unique when two documents share one. */
    private static String id(Map<String, Object> policies, Map<Object, String> ids, String name,
            Map<String, Object> document) {
        Map<String, Object> versioned = new LinkedHashMap<>(document);
        versioned.putIfAbsent("Version", "2012-10-17");
        return ids.computeIfAbsent(versioned, d -> {
            String id = name;
            for (int n = 2; policies.containsKey(id); n++) {
                id = name + "#" + n;
            }
            policies.put(id, versioned);
            return id;
        });
    }
}
