package dev.pgbackup.template;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CloudFormation's intrinsic functions (Ref, Fn::Sub, Fn::GetAtt, Fn::If and the conditions, Fn::Join, Fn::Select,
 * Fn::Split, Fn::FindInMap, ...) evaluated for one {@link Stack}. Apart from Stack so that what a test asks of a
 * stack (its functions, roles, outputs) reads without the evaluator; conditions are still asked of the stack, which
 * remembers them.
 */
final class Intrinsics {
    /** AWS::NoValue while resolving: the map entry or list item that holds it is left out. */
    private static final Object NO_VALUE = new Object();

    private final Stack stack;
    private final SamTemplate template;
    private final Map<String, Object> parameters;
    private final PhysicalIds ids;

    Intrinsics(Stack stack, SamTemplate template, Map<String, Object> parameters, PhysicalIds ids) {
        this.stack = stack;
        this.template = template;
        this.parameters = parameters;
        this.ids = ids;
    }

    /** Resolves any template fragment for the stack. */
    Object resolve(Object node) {
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

    /** One intrinsic function; the conditions and the list functions in their own methods, each a switch. */
    @SuppressWarnings("unchecked")
    private Object function(String name, Object argument) {
        switch (name) {
            case "Ref" :
                return ref(String.valueOf(argument), true);
            case "Condition" :
                return stack.condition(String.valueOf(argument));
            case "Fn::If", "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Fn::EachMemberEquals", "Fn::Contains" :
                return logical(name, argument);
            case "Fn::Join", "Fn::Select", "Fn::Split", "Fn::FindInMap" :
                return listFunction(name, argument);
            case "Fn::Sub" :
                return sub(argument);
            case "Fn::GetAtt" : {
                List<Object> a = argument instanceof String s ? List.of(s.substring(0, s.indexOf('.')),
                        s.substring(s.indexOf('.') + 1)) : (List<Object>) argument;
                return ids.getAtt(text(resolveValue(a.get(0))), text(resolveValue(a.get(1))));
            }
            case "Fn::Base64" :
                return java.util.Base64.getEncoder().encodeToString(text(resolveValue(argument))
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            case "Fn::GetAZs" :
                return List.of(Stack.REGION + "a", Stack.REGION + "b", Stack.REGION + "c");
            default :
                throw new IllegalStateException("the resolver does not know " + name + " (add it to Intrinsics)");
        }
    }

    /** Fn::If and the condition functions (Fn::Equals, Fn::Not, ...; the Rules' Fn::Contains and Fn::EachMemberEquals). */
    @SuppressWarnings("unchecked")
    private Object logical(String name, Object argument) {
        switch (name) {
            case "Fn::If" : {
                List<Object> a = (List<Object>) argument;
                return resolveValue(stack.condition(String.valueOf(a.get(0))) ? a.get(1) : a.get(2));
            }
            case "Fn::Equals" : {
                List<Object> a = (List<Object>) argument;
                return text(resolveValue(a.get(0))).equals(text(resolveValue(a.get(1))));
            }
            case "Fn::Not" :
                return !(Boolean) resolveValue(((List<Object>) argument).get(0));
            case "Fn::And" :
                return ((List<Object>) argument).stream().allMatch(c -> (Boolean) resolveValue(c));
            case "Fn::Or" :
                return ((List<Object>) argument).stream().anyMatch(c -> (Boolean) resolveValue(c));
            case "Fn::EachMemberEquals" : {
                List<Object> a = (List<Object>) argument;
                String expected = text(resolveValue(a.get(1)));
                return list(resolveValue(a.get(0))).stream().allMatch(v -> text(v).equals(expected));
            }
            case "Fn::Contains" : {
                List<Object> a = (List<Object>) argument;
                String wanted = text(resolveValue(a.get(1)));
                return list(resolveValue(a.get(0))).stream().anyMatch(v -> text(v).equals(wanted));
            }
            default :
                throw new IllegalStateException("not a condition function: " + name);
        }
    }

    /** The functions that build or pick from lists and maps: Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap. */
    @SuppressWarnings("unchecked")
    private Object listFunction(String name, Object argument) {
        switch (name) {
            case "Fn::Join" : {
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
            case "Fn::Select" : {
                List<Object> a = (List<Object>) argument;
                int index = Integer.parseInt(text(resolveValue(a.get(0))));
                List<Object> items = list(resolveValue(a.get(1)));
                if (index < 0 || index >= items.size()) {
                    throw new IllegalStateException("Fn::Select index " + index + " outside " + items);
                }
                return items.get(index);
            }
            case "Fn::Split" : {
                List<Object> a = (List<Object>) argument;
                String delimiter = text(resolveValue(a.get(0)));
                List<Object> parts = new ArrayList<>();
                for (String part : text(resolveValue(a.get(1))).split(Pattern.quote(delimiter), -1)) {
                    parts.add(part);
                }
                return parts;
            }
            case "Fn::FindInMap" : {
                List<Object> a = (List<Object>) argument;
                Map<String, Object> mappings = (Map<String, Object>) template.cloudFormation.getOrDefault("Mappings",
                        Map.of());
                Map<String, Object> map = (Map<String, Object>) mappings.get(text(resolveValue(a.get(0))));
                Map<String, Object> top = map == null ? null
                        : (Map<String, Object>) map.get(text(resolveValue(a.get(1))));
                Object value = top == null ? null : top.get(text(resolveValue(a.get(2))));
                if (value == null) {
                    throw new IllegalStateException("Fn::FindInMap found nothing: " + argument);
                }
                return resolveValue(value);
            }
            default :
                throw new IllegalStateException("not a list function: " + name);
        }
    }

    static String text(Object value) {
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
                out.append(ids.getAtt(inner.substring(0, inner.indexOf('.')), inner.substring(inner.indexOf('.') + 1)));
            } else {
                out.append(text(ref(inner, false)));
            }
            i = end + 1;
        }
        return out.toString();
    }

    private Object ref(String target, boolean listAllowed) {
        switch (target) {
            case "AWS::Region" :
                return Stack.REGION;
            case "AWS::AccountId" :
                return Stack.ACCOUNT;
            case "AWS::Partition" :
                return Stack.PARTITION;
            case "AWS::URLSuffix" :
                return "amazonaws.com";
            case "AWS::StackName" :
                return stack.name;
            case "AWS::StackId" :
                return "arn:aws:cloudformation:" + Stack.REGION + ":" + Stack.ACCOUNT + ":stack/" + stack.name
                        + "/00000000";
            case "AWS::NoValue" :
                return NO_VALUE;
            default :
                break;
        }
        if (parameters.containsKey(target)) {
            Object value = parameters.get(target);
            if (value instanceof List<?> l && !listAllowed) {
                throw new IllegalStateException("a list parameter in Fn::Sub: " + target);
            }
            return value;
        }
        return ids.of(target);
    }
}
