package dev.pgbackup.local.iam;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.local.iam.IamRequests.Request;
import dev.pgbackup.local.iam.IamSimulator.Result;
import dev.pgbackup.local.iam.Recordings.Call;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.testsupport.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every AWS call the integration tests' functions made, judged against the IAM template.yaml gives those functions:
 * the role of the function that made it, the bucket policy, the key policy, for the parameters of the stack it ran
 * in. Runs after every other integration test of the build (its own failsafe execution in the last module). A
 * denied call, or a condition key the evaluator could not use, fails with the function, the call and what it lacks.
 */
class IamEvaluationIT {
    /** The modules whose integration tests make calls. */
    static final List<String> RECORDING_MODULES = List.of("functions/backup", "functions/list", "functions/restore",
            "local");

    @Test
    void everyRecordedCallIsAllowedAndNothingIsIgnored() throws IOException {
        Path root = RepoPaths.root();
        SamTemplate template = SamTemplate.load(root);
        Recordings recorded = Recordings.read(root, template);
        // a run of integration tests that call nothing (this module's template tests, say): nothing to judge.
        // scripts/test.sh checks that the whole suite's evaluation judged every module's calls.
        Assumptions.assumeFalse(recorded.calls.isEmpty(), "no recorded calls under */target/iam-calls");
        IamRequests mapper = new IamRequests(template, new KeyPolicies(recorded.stacks.values()));
        long start = System.nanoTime();
        List<Map.Entry<Call, List<Request>>> requests = new ArrayList<>();
        List<Request> all = new ArrayList<>();
        for (Call call : recorded.calls) {
            List<Request> mine = mapper.of(call);
            requests.add(Map.entry(call, mine));
            all.addAll(mine);
        }
        List<Request> overHttp = overHttpKinds(all);
        long mapped = System.nanoTime();
        List<Request> batch = new ArrayList<>(all);
        batch.addAll(overHttp);
        Map<Request, Result> results = IamSimulator.evaluate(batch);
        long evaluated = System.nanoTime();
        System.out.printf("mapped in %.1f s, evaluated in %.1f s%n", (mapped - start) / 1e9,
                (evaluated - mapped) / 1e9);

        Map<String, List<String>> problems = new TreeMap<>();
        Map<String, Map<String, Integer>> byFunction = new TreeMap<>();
        Map<String, Map<String, Integer>> bySet = new TreeMap<>();
        Map<String, TreeSet<String>> stacksBySet = new TreeMap<>();
        requests.forEach(entry -> {
            Call call = entry.getKey();
            List<Request> mine = entry.getValue();
            String set = ParameterSets.label(recorded.given.get(call.stackId()));
            stacksBySet.computeIfAbsent(set, s -> new TreeSet<>()).add(call.stackId());
            count(byFunction, call.function(), "calls", 1);
            count(byFunction, call.function(), "requests", mine.size());
            count(bySet, set, "calls", 1);
            count(bySet, set, "requests", mine.size());
            for (Request r : mine) {
                Result result = results.get(r);
                if (!result.allowed() || !result.ignoredContextKeys().isEmpty()) {
                    String what = call.function() + ": " + r.action() + " on " + r.resource();
                    problems.computeIfAbsent(what, k -> new ArrayList<>()).add(explain(call, set, r, result));
                }
            }
        });

        judgeOverHttp(overHttp, results, problems);

        String report = report(recorded, all.size(), results.size(), byFunction, bySet, stacksBySet, problems.size())
                + String.format(
                        "%n%d kinds of S3 request (each function's first of each action, per stack) replayed over "
                                + "plain HTTP: all denied by the bucket policy (DenyInsecureTransport) unless listed above%n",
                        overHttp.size());
        Files.writeString(Files.createDirectories(root.resolve("local/target/iam")).resolve("evaluation.txt"), report);
        System.out.println(report);
        assertNoProblems(problems);

        everyFunctionWasExercised(template, recorded, byFunction);
    }

    /** Every kind of S3 request each function made (its first of each action in each stack) again over plain HTTP. */
    private static List<Request> overHttpKinds(List<Request> all) {
        Map<String, Request> kinds = new LinkedHashMap<>();
        for (Request r : all) {
            if (r.action().startsWith("s3:")) {
                kinds.putIfAbsent(r.principal() + " " + r.action(), IamRequests.overHttp(r));
            }
        }
        return List.copyOf(kinds.values());
    }

    /** The bucket policy must refuse each over plain HTTP, whatever the key. */
    private static void judgeOverHttp(List<Request> overHttp, Map<Request, Result> results,
            Map<String, List<String>> problems) {
        for (Request r : overHttp) {
            Result result = results.get(r);
            if (!result.denied() || !result.ignoredContextKeys().isEmpty()) {
                problems.computeIfAbsent("over HTTP: " + r.action() + " on " + r.resource(), k -> new ArrayList<>())
                        .add(r.what() + " -> " + result.result() + " (allowed by " + result.allowedBy() + ")");
            }
        }
    }

    /** No request the template does not allow, or that the evaluator could not judge. */
    private static void assertNoProblems(Map<String, List<String>> problems) {
        assertTrue(problems.isEmpty(), () -> problems.size() + " distinct requests that template.yaml does not allow "
                + "(or that the evaluator could not judge):\n\n" + String.join("\n\n", problems.values().stream()
                        .map(l -> l.get(0)
                                + (l.size() > 1 ? "\n  (and " + (l.size() - 1) + " more calls like it)" : ""))
                        .toList()));
    }

    /** The whole suite (no -Dit.test: Maven leaves the expression as it is) must exercise every function. */
    private static void everyFunctionWasExercised(SamTemplate template, Recordings recorded,
            Map<String, Map<String, Integer>> byFunction) {
        String picked = System.getProperty("iam.picked.tests", "");
        if ((picked.isEmpty() || picked.startsWith("${")) && recorded.modules.containsAll(RECORDING_MODULES)) {
            // every function of both computes (the workers on Managed Instances are functions of their own)
            TreeSet<String> unexercised = new TreeSet<>();
            for (String compute : List.of("lambda", "managed-instances")) {
                template.deploy("coverage",
                        Map.of("BucketName", "b", "DbUrlParameterName", "/d", "JwtSecretParameterName",
                                "/j", "RestorePasskeyParameterName", "/p", "WorkerCompute", compute, "SubnetIds",
                                "subnet-1"),
                        Map.of()).functions().forEach(f -> unexercised.add(f.logicalId()));
            }
            unexercised.removeAll(byFunction.keySet());
            assertTrue(unexercised.isEmpty(),
                    "functions of template.yaml no integration test made a call for: " + unexercised);
        }
    }

    private static void count(Map<String, Map<String, Integer>> counts, String row, String column, int n) {
        counts.computeIfAbsent(row, k -> new TreeMap<>()).merge(column, n, Integer::sum);
    }

    private static String explain(Call call, String set, Request r, Result result) {
        StringBuilder s = new StringBuilder();
        s.append(call.function()).append(" (stack ").append(call.stackId()).append(", ").append(set).append(", from ")
                .append(call.module()).append(" tests): ").append(r.what()).append("\n  needs ").append(r.action())
                .append(" on ").append(r.resource()).append(" with ").append(r.context()).append("\n  ")
                .append(result.result());
        if (!result.ignoredContextKeys().isEmpty()) {
            s.append("; the evaluator ignored the condition keys ").append(result.ignoredContextKeys());
        }
        if (result.errors() != null) {
            s.append("; evaluator error: ").append(result.errors());
        }
        if (!result.deniedBy().isEmpty()) {
            s.append("; denied by ").append(result.deniedBy());
        }
        if (result.denied()) {
            boolean keyPolicy = r.action().startsWith("kms:");
            s.append("\n  missing: an Allow of ").append(r.action()).append(" on ").append(r.resource())
                    .append(" in the ")
                    .append(call.function()).append(" role's policies").append(keyPolicy
                            ? " and a key policy (" + r.resourcePolicyName()
                                    + ") that lets IAM grant it or names the role"
                            : "");
            if (!result.nearMisses().isEmpty()) {
                s.append("\n  closest statements: ").append(result.nearMisses());
            }
            if (!result.allowedBy().isEmpty()) {
                s.append("\n  allowed only by: ").append(result.allowedBy());
            }
        }
        return s.toString();
    }

    private static String report(Recordings recorded, int requests, int distinct,
            Map<String, Map<String, Integer>> byFunction,
            Map<String, Map<String, Integer>> bySet, Map<String, TreeSet<String>> stacks, int problems) {
        StringBuilder s = new StringBuilder("IAM evaluation of the integration tests' calls (tools/iam, "
                + "@cloud-copilot/iam-simulate) against template.yaml\n");
        s.append(String.format("%d calls from %d stacks (modules %s) -> %d IAM requests (%d distinct); %d denied or "
                + "not judged%n%n", recorded.calls.size(), recorded.stacks.size(), recorded.modules, requests, distinct,
                problems));
        s.append(String.format("%-30s %8s %9s%n", "function", "calls", "requests"));
        byFunction.forEach((f, c) -> s.append(String.format("%-30s %8d %9d%n", f, c.get("calls"), c.get("requests"))));
        s.append(String.format("%n%-75s %7s %8s %9s%n", "parameter set", "stacks", "calls", "requests"));
        bySet.forEach((set, c) -> s.append(String.format("%-75s %7d %8d %9d%n", set, stacks.get(set).size(),
                c.get("calls"), c.get("requests"))));
        return s.toString();
    }
}
