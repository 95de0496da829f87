package dev.pgbackup.template;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

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

    private static final Object NO_VALUE = new Object();

    private final SamTemplate template;
    public final String name;
    private final Map<String, Object> parameters;
    private final Map<String, String> physicalIds;
    private final Map<String, Boolean> conditions = new HashMap<>();
    private final Map<String, Map<String, Object>> resources;

    Stack(SamTemplate template, String name, Map<String, String> given, Map<String, String> physicalIds) {
        this.template = template;
        this.name = name;
        this.physicalIds = Map.copyOf(physicalIds);
        List<String> problems = new ArrayList<>();
        this.parameters = ParameterValues.of(template, given, problems);
        Map<String, Map<String, Object>> all = new LinkedHashMap<>(template.section("Resources"));
        if (problems.isEmpty()) {
            problems.addAll(brokenRules());
            all.putAll(ForEach.expand(template.loops, this::resolve));
        }
        this.resources = all;
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("CloudFormation would refuse stack " + name + ": " + String.join("; ", problems));
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
            for (Map<String, Object> assertion : (List<Map<String, Object>>) body.getOrDefault("Assertions", List.of())) {
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
        parameters.forEach((k, v) -> values.put(k, v instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList())
                : String.valueOf(v)));
        return values;
    }

    @SuppressWarnings("unchecked")
    public boolean condition(String name) {
        Boolean known = conditions.get(name);
        if (known != null) {
            return known;
        }
        Object definition = ((Map<String, Object>) template.cloudFormation.getOrDefault("Conditions", Map.of())).get(name);
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
    public record Policy(String name, Map<String, Object> document) {
    }

    /** The stack's Lambda functions (those whose condition holds), in template order. */
    @SuppressWarnings("unchecked")
    public List<Function> functions() {
        List<Function> functions = new ArrayList<>();
        for (String id : resourcesOfType("AWS::Lambda::Function")) {
            Map<String, Object> p = properties(id);
            Map<String, String> environment = new LinkedHashMap<>();
            Map<String, Object> env = (Map<String, Object>) p.getOrDefault("Environment", Map.of());
            ((Map<String, Object>) env.getOrDefault("Variables", Map.of())).forEach((k, v) -> environment.put(k, text(v)));
            Map<String, Object> role = (Map<String, Object>) resources.get(id).get("Properties");
            Object getAtt = ((Map<String, Object>) role.get("Role")).get("Fn::GetAtt");
            String roleId = String.valueOf(((List<Object>) getAtt).get(0));
            functions.add(new Function(id, physicalId(id), text(p.get("Handler")), Map.copyOf(environment), roleId,
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
            policies.add(new Policy(text(inline.get("PolicyName")), (Map<String, Object>) inline.get("PolicyDocument")));
        }
        for (Object arn : (List<Object>) role.getOrDefault("ManagedPolicyArns", List.of())) {
            for (String id : resourcesOfType("AWS::IAM::ManagedPolicy")) {
                if (physicalId(id).equals(arn)) {
                    policies.add(new Policy(id, (Map<String, Object>) properties(id).get("PolicyDocument")));
                }
            }
        }
        // policies that name the role themselves (AWS::IAM::Policy)
        for (String id : resourcesOfType("AWS::IAM::Policy")) {
            Map<String, Object> policy = properties(id);
            if (((List<Object>) policy.getOrDefault("Roles", List.of())).contains(physicalId(roleLogicalId))) {
                policies.add(new Policy(text(policy.get("PolicyName")), (Map<String, Object>) policy.get("PolicyDocument")));
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
        Object value = resolveValue(node);
        return value == NO_VALUE ? null : value;
    }

    @SuppressWarnings("unchecked")
    private Object resolveValue(Object node) {
        if (node instanceof Map<?, ?> map) {
            if (map.size() == 1) {
                String key = String.valueOf(map.keySet().iterator().next());
                Object argument = map.values().iterator().next();
                if (key.equals("Ref") || key.equals("Condition") || key.startsWith("Fn::")) {
                    return function(key, argument);
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                Object v = resolveValue(e.getValue());
                if (v != NO_VALUE) {
                    out.put(String.valueOf(e.getKey()), v);
                }
            }
            return out;
        }
        if (node instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object item : list) {
                Object v = resolveValue(item);
                if (v != NO_VALUE) {
                    out.add(v);
                }
            }
            return out;
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    private Object function(String name, Object argument) {
        switch (name) {
            case "Ref":
                return ref(String.valueOf(argument), true);
            case "Condition":
                return condition(String.valueOf(argument));
            case "Fn::If": {
                List<Object> a = (List<Object>) argument;
                return resolveValue(condition(String.valueOf(a.get(0))) ? a.get(1) : a.get(2));
            }
            case "Fn::Equals": {
                List<Object> a = (List<Object>) argument;
                return text(resolveValue(a.get(0))).equals(text(resolveValue(a.get(1))));
            }
            case "Fn::Not":
                return !(Boolean) resolveValue(((List<Object>) argument).get(0));
            case "Fn::And":
                return ((List<Object>) argument).stream().allMatch(c -> (Boolean) resolveValue(c));
            case "Fn::Or":
                return ((List<Object>) argument).stream().anyMatch(c -> (Boolean) resolveValue(c));
            case "Fn::EachMemberEquals": {
                List<Object> a = (List<Object>) argument;
                String expected = text(resolveValue(a.get(1)));
                return list(resolveValue(a.get(0))).stream().allMatch(v -> text(v).equals(expected));
            }
            case "Fn::Contains": {
                List<Object> a = (List<Object>) argument;
                String wanted = text(resolveValue(a.get(1)));
                return list(resolveValue(a.get(0))).stream().anyMatch(v -> text(v).equals(wanted));
            }
            case "Fn::Sub":
                return sub(argument);
            case "Fn::GetAtt": {
                List<Object> a = argument instanceof String s ? List.of(s.substring(0, s.indexOf('.')),
                        s.substring(s.indexOf('.') + 1)) : (List<Object>) argument;
                return getAtt(text(resolveValue(a.get(0))), text(resolveValue(a.get(1))));
            }
            case "Fn::Join": {
                List<Object> a = (List<Object>) argument;
                if (!(a.get(0) instanceof String d)) {
                    // CloudFormation refuses a delimiter that is not a literal string (a Fn::Sub, say)
                    throw new IllegalStateException("Fn::Join delimiter must be a string: " + a.get(0));
                }
                List<String> parts = new ArrayList<>();
                for (Object item : list(resolveValue(a.get(1)))) {
                    parts.add(text(item));
                }
                return String.join(d, parts);
            }
            case "Fn::Select": {
                List<Object> a = (List<Object>) argument;
                int index = Integer.parseInt(text(resolveValue(a.get(0))));
                List<Object> items = list(resolveValue(a.get(1)));
                if (index < 0 || index >= items.size()) {
                    throw new IllegalStateException("Fn::Select index " + index + " outside " + items);
                }
                return items.get(index);
            }
            case "Fn::Split": {
                List<Object> a = (List<Object>) argument;
                String delimiter = text(resolveValue(a.get(0)));
                List<Object> parts = new ArrayList<>();
                for (String part : text(resolveValue(a.get(1))).split(Pattern.quote(delimiter), -1)) {
                    parts.add(part);
                }
                return parts;
            }
            case "Fn::FindInMap": {
                List<Object> a = (List<Object>) argument;
                Map<String, Object> mappings = (Map<String, Object>) template.cloudFormation.getOrDefault("Mappings", Map.of());
                Map<String, Object> map = (Map<String, Object>) mappings.get(text(resolveValue(a.get(0))));
                Map<String, Object> top = map == null ? null : (Map<String, Object>) map.get(text(resolveValue(a.get(1))));
                Object value = top == null ? null : top.get(text(resolveValue(a.get(2))));
                if (value == null) {
                    throw new IllegalStateException("Fn::FindInMap found nothing: " + argument);
                }
                return resolveValue(value);
            }
            case "Fn::Base64":
                return java.util.Base64.getEncoder().encodeToString(text(resolveValue(argument))
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            case "Fn::GetAZs":
                return List.of(REGION + "a", REGION + "b", REGION + "c");
            default:
                throw new IllegalStateException("the resolver does not know " + name + " (add it to Stack)");
        }
    }

    private static String text(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Number || value instanceof Boolean) {
            return String.valueOf(value);
        }
        throw new IllegalStateException("not a string: " + value);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        if (value instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw new IllegalStateException("not a list: " + value);
    }

    @SuppressWarnings("unchecked")
    private Object sub(Object argument) {
        String text;
        Map<String, Object> variables = new HashMap<>();
        if (argument instanceof String s) {
            text = s;
        } else {
            List<Object> a = (List<Object>) argument;
            text = (String) a.get(0);
            ((Map<String, Object>) a.get(1)).forEach((k, v) -> variables.put(k, resolveValue(v)));
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            int start = text.indexOf("${", i);
            if (start < 0) {
                out.append(text, i, text.length());
                break;
            }
            out.append(text, i, start);
            int end = text.indexOf('}', start);
            String inner = text.substring(start + 2, end);
            if (inner.startsWith("!")) {
                out.append("${").append(inner.substring(1)).append('}');
            } else if (variables.containsKey(inner)) {
                out.append(text(variables.get(inner)));
            } else if (inner.contains(".") && !inner.startsWith("AWS::")) {
                out.append(getAtt(inner.substring(0, inner.indexOf('.')), inner.substring(inner.indexOf('.') + 1)));
            } else {
                out.append(text(ref(inner, false)));
            }
            i = end + 1;
        }
        return out.toString();
    }

    private Object ref(String target, boolean listAllowed) {
        switch (target) {
            case "AWS::Region":
                return REGION;
            case "AWS::AccountId":
                return ACCOUNT;
            case "AWS::Partition":
                return PARTITION;
            case "AWS::URLSuffix":
                return "amazonaws.com";
            case "AWS::StackName":
                return name;
            case "AWS::StackId":
                return "arn:aws:cloudformation:" + REGION + ":" + ACCOUNT + ":stack/" + name + "/00000000";
            case "AWS::NoValue":
                return NO_VALUE;
            default:
                break;
        }
        if (parameters.containsKey(target)) {
            Object value = parameters.get(target);
            if (value instanceof List<?> l && !listAllowed) {
                throw new IllegalStateException("a list parameter in Fn::Sub: " + target);
            }
            return value;
        }
        return physicalId(target);
    }

    /** What Ref of a resource returns, per type: a name, an ARN or an id, as CloudFormation documents it. */
    private String physicalId(String logicalId) {
        String type = type(logicalId);
        String given = physicalIds.get(logicalId);
        String generated = given != null ? given : named(logicalId, type);
        switch (type) {
            case "AWS::KMS::Key":
                // Ref is the key id; a key made elsewhere (moto) is known by its ARN
                return generated.substring(generated.lastIndexOf('/') + 1);
            case "AWS::SNS::Topic":
                return given != null ? given : "arn:aws:sns:" + REGION + ":" + ACCOUNT + ":" + generated;
            case "AWS::IAM::ManagedPolicy":
                return "arn:aws:iam::" + ACCOUNT + ":policy/" + generated;
            case "AWS::Lambda::Alias":
                return "arn:aws:lambda:" + REGION + ":" + ACCOUNT + ":function:" + properties(logicalId).get("FunctionName")
                        + ":" + properties(logicalId).get("Name");
            default:
                return generated;
        }
    }

    /** The name a resource has: the one its properties give, else one CloudFormation would make from the stack's. */
    private String named(String logicalId, String type) {
        String property = switch (type) {
            case "AWS::Lambda::Function" -> "FunctionName";
            case "AWS::IAM::Role" -> "RoleName";
            case "AWS::IAM::ManagedPolicy" -> "ManagedPolicyName";
            case "AWS::SNS::Topic" -> "TopicName";
            case "AWS::S3::Bucket" -> "BucketName";
            case "AWS::Logs::LogGroup" -> "LogGroupName";
            default -> null;
        };
        Object value = property == null ? null : properties(logicalId).get(property);
        String fallback = name + "-" + logicalId;
        return value != null ? String.valueOf(value) : type.equals("AWS::S3::Bucket") ? fallback.toLowerCase() : fallback;
    }

    private String getAtt(String logicalId, String attribute) {
        String type = type(logicalId);
        String key = type + "." + attribute;
        switch (key) {
            case "AWS::IAM::Role.Arn": {
                Object path = properties(logicalId).getOrDefault("Path", "/");
                return "arn:aws:iam::" + ACCOUNT + ":role" + path + physicalId(logicalId);
            }
            case "AWS::KMS::Key.Arn": {
                String given = physicalIds.get(logicalId);
                return given != null ? given : "arn:aws:kms:" + REGION + ":" + ACCOUNT + ":key/" + physicalId(logicalId);
            }
            case "AWS::Lambda::Function.Arn":
                return "arn:aws:lambda:" + REGION + ":" + ACCOUNT + ":function:" + physicalId(logicalId);
            case "AWS::S3::Bucket.Arn":
                return "arn:aws:s3:::" + physicalId(logicalId);
            case "AWS::SNS::Topic.TopicName": {
                String arn = physicalId(logicalId);
                return arn.substring(arn.lastIndexOf(':') + 1);
            }
            case "AWS::Logs::LogGroup.Arn":
                return "arn:aws:logs:" + REGION + ":" + ACCOUNT + ":log-group:" + physicalId(logicalId) + ":*";
            default:
                // an attribute only AWS knows (an API id, a generated endpoint): a stand-in naming it
                return logicalId + "." + attribute;
        }
    }
}
