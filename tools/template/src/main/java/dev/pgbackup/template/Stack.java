package dev.pgbackup.template;

import static dev.pgbackup.template.Intrinsics.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * template.yaml deployed with one parameter set, as far as a test can know it without AWS: each resource whose
 * condition holds, with every intrinsic function resolved (Ref, Fn::Sub, Fn::GetAtt, Fn::If and the conditions,
 * Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, ...). The parameters are checked as CloudFormation checks them
 * (type, AllowedValues, AllowedPattern, the template's Rules); MinValue and MaxValue are not, so that a test may
 * shorten a timeout below what a deploy accepts.
 */
public final class Stack {
    /** moto's account: the ARNs the tests get from moto (keys, topics) and those made here agree. */
    public static final String ACCOUNT = "123456789012";
    public static final String REGION = "us-east-1";
    public static final String PARTITION = "aws";

    private final SamTemplate template;
    public final String name;
    private final Map<String, Object> parameters;
    private final Map<String, Boolean> conditions = new HashMap<>();
    private final Map<String, Map<String, Object>> resources;
    /** What Ref/Fn::GetAtt of its resources return, and the resolver of its intrinsic functions (both ask it back). */
    private final PhysicalIds ids;
    private final Intrinsics intrinsics;

    Stack(SamTemplate template, String name, Map<String, String> given, Map<String, String> physicalIds) {
        this.template = template;
        this.name = name;
        List<String> problems = new ArrayList<>();
        this.parameters = ParameterValues.of(template, given, problems);
        this.ids = new PhysicalIds(this, physicalIds);
        this.intrinsics = new Intrinsics(this, template, parameters, ids);
        Map<String, Map<String, Object>> all = new LinkedHashMap<>(template.section("Resources"));
        if (problems.isEmpty()) {
            problems.addAll(brokenRules());
            all.putAll(ForEach.expand(template.loops, this::resolve));
        }
        this.resources = all;
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    "CloudFormation would refuse stack " + name + ": " + String.join("; ", problems));
        }
    }

    @SuppressWarnings("unchecked")
    private List<String> brokenRules() {
        List<String> broken = new ArrayList<>();
        template.section("Rules").forEach((rule, body) -> {
            Object when = body.get("RuleCondition");
            if (when != null && !truth(when)) {
                return;
            }
            for (Map<String, Object> assertion : (List<Map<String, Object>>) body.getOrDefault("Assertions",
                    List.of())) {
                if (!truth(assertion.get("Assert"))) {
                    broken.add("rule " + rule + ": " + assertion.get("AssertDescription"));
                }
            }
        });
        return broken;
    }

    /** A parameter's value: a String, or a List of Strings for list types. */
    public Object parameter(String name) {
        Object value = parameters.get(name);
        if (value == null) {
            throw new IllegalArgumentException("template.yaml has no parameter " + name);
        }
        return value;
    }

    /** Every parameter's value in this stack (the given ones and the defaults), lists joined with commas. */
    public Map<String, String> parameters() {
        Map<String, String> values = new LinkedHashMap<>();
        parameters.forEach((k, v) -> values.put(k,
                v instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList())
                        : String.valueOf(v)));
        return values;
    }

    @SuppressWarnings("unchecked")
    public boolean condition(String name) {
        Boolean known = conditions.get(name);
        if (known != null) {
            return known;
        }
        Object definition = ((Map<String, Object>) template.cloudFormation.getOrDefault("Conditions", Map.of()))
                .get(name);
        if (definition == null) {
            throw new IllegalArgumentException("template.yaml has no condition " + name);
        }
        boolean value = truth(definition);
        conditions.put(name, value);
        return value;
    }

    private boolean truth(Object expression) {
        Object value = resolve(expression);
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalStateException("not a condition: " + expression);
    }

    /** Whether the resource exists in this stack (no Condition, or its condition holds). */
    public boolean exists(String logicalId) {
        Map<String, Object> resource = resources.get(logicalId);
        if (resource == null) {
            return false;
        }
        Object condition = resource.get("Condition");
        return condition == null || condition(String.valueOf(condition));
    }

    /** The existing resources' logical ids, of one type, in template order. */
    public List<String> resourcesOfType(String type) {
        List<String> ids = new ArrayList<>();
        resources.forEach((id, r) -> {
            if (type.equals(r.get("Type")) && exists(id)) {
                ids.add(id);
            }
        });
        return ids;
    }

    /** A resource's Properties, every intrinsic resolved (and AWS::NoValue removed). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> properties(String logicalId) {
        Map<String, Object> resource = existing(logicalId);
        Object resolved = resolve(resource.getOrDefault("Properties", Map.of()));
        return (Map<String, Object>) resolved;
    }

    /** A resource's Type. */
    public String type(String logicalId) {
        return String.valueOf(existing(logicalId).get("Type"));
    }

    private Map<String, Object> existing(String logicalId) {
        if (!exists(logicalId)) {
            throw new IllegalArgumentException("stack " + name + " has no resource " + logicalId
                    + (resources.containsKey(logicalId) ? " (its condition is false)" : ""));
        }
        return resources.get(logicalId);
    }

    /** An output's value (an output whose condition is false is absent). */
    @SuppressWarnings("unchecked")
    public Optional<String> output(String outputName) {
        Map<String, Object> output = template.section("Outputs").get(outputName);
        if (output == null) {
            throw new IllegalArgumentException("template.yaml has no output " + outputName);
        }
        Object condition = output.get("Condition");
        if (condition != null && !condition(String.valueOf(condition))) {
            return Optional.empty();
        }
        return Optional.of(String.valueOf(resolve(output.get("Value"))));
    }

    /** A Lambda function of this stack: its handler, its environment (Globals and its own), its role and limits. */
    public record Function(String logicalId, String name, String handler, Map<String, String> environment,
            String roleLogicalId, String roleArn, int timeoutSeconds, int memoryMb) {
        /** The handler's class, without the method. */
        public String handlerClass() {
            int separator = handler.indexOf("::");
            return separator < 0 ? handler : handler.substring(0, separator);
        }
    }

    /** A policy document attached to a role: inline (its name) or a managed policy of this stack (its logical id). */
    public record Policy(String name, Map<String, Object> document) {}

    /** The stack's Lambda functions (those whose condition holds), in template order. */
    @SuppressWarnings("unchecked")
    public List<Function> functions() {
        List<Function> functions = new ArrayList<>();
        for (String id : resourcesOfType("AWS::Lambda::Function")) {
            Map<String, Object> p = properties(id);
            Map<String, String> environment = new LinkedHashMap<>();
            Map<String, Object> env = (Map<String, Object>) p.getOrDefault("Environment", Map.of());
            ((Map<String, Object>) env.getOrDefault("Variables", Map.of()))
                    .forEach((k, v) -> environment.put(k, text(v)));
            Map<String, Object> role = (Map<String, Object>) resources.get(id).get("Properties");
            Object getAtt = ((Map<String, Object>) role.get("Role")).get("Fn::GetAtt");
            String roleId = String.valueOf(((List<Object>) getAtt).get(0));
            functions.add(new Function(id, ids.of(id), text(p.get("Handler")), Map.copyOf(environment), roleId,
                    text(p.get("Role")), Integer.parseInt(text(p.getOrDefault("Timeout", 3))),
                    Integer.parseInt(text(p.getOrDefault("MemorySize", 128)))));
        }
        return functions;
    }

    /** The function whose handler is {@code handlerClass}'s (of the two workers, the one this stack's compute has). */
    public Function function(String handlerClass) {
        List<Function> found = functions().stream().filter(f -> f.handlerClass().equals(handlerClass)).toList();
        if (found.size() != 1) {
            throw new IllegalArgumentException("stack " + name + " has " + found.size() + " functions with handler "
                    + handlerClass + ": " + found.stream().map(Function::logicalId).toList());
        }
        return found.get(0);
    }

    /** The policies a role of this stack holds: its inline policies, then the managed policies this stack makes. */
    @SuppressWarnings("unchecked")
    public List<Policy> rolePolicies(String roleLogicalId) {
        Map<String, Object> role = properties(roleLogicalId);
        List<Policy> policies = new ArrayList<>();
        for (Map<String, Object> inline : (List<Map<String, Object>>) role.getOrDefault("Policies", List.of())) {
            policies.add(
                    new Policy(text(inline.get("PolicyName")), (Map<String, Object>) inline.get("PolicyDocument")));
        }
        for (Object arn : (List<Object>) role.getOrDefault("ManagedPolicyArns", List.of())) {
            for (String id : resourcesOfType("AWS::IAM::ManagedPolicy")) {
                if (ids.of(id).equals(arn)) {
                    policies.add(new Policy(id, (Map<String, Object>) properties(id).get("PolicyDocument")));
                }
            }
        }
        // policies that name the role themselves (AWS::IAM::Policy)
        for (String id : resourcesOfType("AWS::IAM::Policy")) {
            Map<String, Object> policy = properties(id);
            if (((List<Object>) policy.getOrDefault("Roles", List.of())).contains(ids.of(roleLogicalId))) {
                policies.add(
                        new Policy(text(policy.get("PolicyName")), (Map<String, Object>) policy.get("PolicyDocument")));
            }
        }
        return policies;
    }

    /** The AWS managed policies a role holds (by ARN: their documents are AWS's). */
    @SuppressWarnings("unchecked")
    public List<String> awsManagedPolicies(String roleLogicalId) {
        return ((List<Object>) properties(roleLogicalId).getOrDefault("ManagedPolicyArns", List.of())).stream()
                .map(String::valueOf).filter(arn -> arn.startsWith("arn:aws:iam::aws:policy/")).toList();
    }

    /** Ref of a resource: the physical id CloudFormation would return. */
    public String ref(String logicalId) {
        return String.valueOf(resolve(Map.of("Ref", logicalId)));
    }

    /** Fn::GetAtt of a resource. */
    public String attribute(String logicalId, String attribute) {
        return String.valueOf(resolve(Map.of("Fn::GetAtt", List.of(logicalId, attribute))));
    }

    /** Resolves any template fragment for this stack. */
    public Object resolve(Object node) {
        return intrinsics.resolve(node);
    }
}
