package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.template.Stack;
import dev.pgbackup.testsupport.RepoPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The deploy a user follows: samconfig.toml's two environments deploy template.yaml (offline: the resolver checks
 * what CloudFormation would refuse), in docs/deploy.md's order, staging's outputs making production's key readable by
 * staging's restore roles; every parameter has a group and a label in the console; every function logs to a group
 * of its own with the stack's retention.
 */
class TemplateDeployIT {
    static final Path ROOT = RepoPaths.root();
    static final SamTemplate TEMPLATE = SamTemplate.load(ROOT);

    /** A section's parameter_overrides of samconfig.toml (read by Python's tomllib, as sam reads it). */
    static Map<String, String> samconfig(String environment) throws Exception {
        Process python = new ProcessBuilder(ROOT.resolve(".venv/bin/python").toString(), "-c",
                "import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))",
                ROOT.resolve("samconfig.toml").toString()).redirectErrorStream(true).start();
        String out = new String(python.getInputStream().readAllBytes());
        assertTrue(python.waitFor(60, TimeUnit.SECONDS) && python.exitValue() == 0, out);
        JsonNode deploy = new ObjectMapper().readTree(out).path(environment).path("deploy").path("parameters");
        assertEquals("pharmatracker-" + environment, deploy.path("stack_name").asText());
        assertEquals("CAPABILITY_IAM", deploy.path("capabilities").asText());
        Map<String, String> parameters = new LinkedHashMap<>();
        for (JsonNode override : deploy.path("parameter_overrides")) {
            String[] kv = override.asText().split("=", 2);
            parameters.put(kv[0], kv[1]);
        }
        return parameters;
    }

    @Test
    void samconfigsTwoEnvironmentsDeployInReadmesOrder() throws Exception {
        Map<String, String> staging = samconfig("staging");
        Stack stagingStack = TEMPLATE.deploy("pharmatracker-staging", staging, Map.of());
        Map<String, String> production = new HashMap<>(samconfig("production"));
        assertEquals("", production.get("BackupKeyReaderRoleArns"), "pasted from staging's outputs at deploy time");
        assertEquals("true", production.get("CreateBucket"));
        assertEquals("false", staging.get("CreateBucket"));
        assertEquals(staging.get("BucketName"), production.get("BucketName"), "one bucket for both");
        // step 2 of docs/deploy.md: staging's two outputs into production's parameters
        production.put("BackupKeyReaderRoleArns", stagingStack.output("RestoreWorkerRoleArn").orElseThrow() + ","
                + stagingStack.output("RestoreApiRoleArn").orElseThrow());
        Stack productionStack = TEMPLATE.deploy("pharmatracker-production", production, Map.of());
        String keyPolicy = productionStack.properties("BackupKey").get("KeyPolicy").toString();
        assertTrue(keyPolicy.contains(stagingStack.attribute("RestoreWorkerFunctionRole", "Arn")), keyPolicy);
        assertTrue(keyPolicy.contains(stagingStack.attribute("RestoreApiFunctionRole", "Arn")), keyPolicy);

        String readme = Files.readString(ROOT.resolve("docs/deploy.md"));
        int first = readme.indexOf("sam deploy --config-env staging");
        int second = readme.indexOf("sam deploy --config-env production");
        assertTrue(first > 0 && second > first, "docs/deploy.md deploys staging, then production, from samconfig.toml");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyParameterHasAGroupAndALabel() {
        Map<String, Object> ui = (Map<String, Object>) TEMPLATE.metadata().get("AWS::CloudFormation::Interface");
        List<String> grouped = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) ui.get("ParameterGroups")) {
            grouped.addAll((List<String>) group.get("Parameters"));
        }
        assertEquals(TEMPLATE.parameterNames().size(), grouped.size(),
                "each parameter in exactly one group: " + grouped);
        assertEquals(new TreeSet<>(TEMPLATE.parameterNames()), new TreeSet<>(grouped),
                "the groups hold the parameters");
        Map<String, Object> labels = (Map<String, Object>) ui.get("ParameterLabels");
        assertEquals(new TreeSet<>(TEMPLATE.parameterNames()), new TreeSet<>(labels.keySet()),
                "every parameter labelled");
    }

    @Test
    void everyFunctionLogsToItsOwnGroupWithTheStacksRetention() {
        for (String compute : List.of("lambda", "managed-instances")) {
            Stack stack = TEMPLATE.deploy("logs", Map.of("BucketName", "b", "DbUrlParameterName", "/d",
                    "JwtSecretParameterName", "/j", "RestorePasskeyParameterName", "/p", "WorkerCompute", compute,
                    "SubnetIds", "subnet-1", "SecurityGroupIds", "sg-1", "LogRetentionDays", "30"), Map.of());
            Map<String, Object> groups = new HashMap<>();
            for (String id : stack.resourcesOfType("AWS::Logs::LogGroup")) {
                groups.put(stack.ref(id), stack.properties(id).get("RetentionInDays"));
            }
            TreeSet<String> used = new TreeSet<>();
            for (Stack.Function f : stack.functions()) {
                Object config = stack.properties(f.logicalId()).get("LoggingConfig");
                assertTrue(config instanceof Map<?, ?>, f.logicalId() + " has no LoggingConfig");
                String group = String.valueOf(((Map<?, ?>) config).get("LogGroup"));
                assertEquals("30", String.valueOf(groups.get(group)), f.logicalId() + " logs to " + group);
                assertTrue(used.add(group), "one group per function: " + group);
            }
            assertEquals(8, used.size(), compute + ": " + used);
        }
    }
}
