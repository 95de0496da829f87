package dev.pgbackup.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A stack's parameter values, checked as CloudFormation checks them before it resolves anything: each one given is
 * declared, each one has a value, a Number parses, AllowedValues and AllowedPattern hold (for each item of a list).
 */
final class ParameterValues {
    private ParameterValues() {}

    /** Every parameter's value (a String, or a List for list types); what CloudFormation would refuse in problems. */
    static Map<String, Object> of(SamTemplate template, Map<String, String> given, List<String> problems) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String p : given.keySet()) {
            if (!template.parameterNames().contains(p)) {
                problems.add("template.yaml has no parameter " + p);
            }
        }
        for (String p : template.parameterNames()) {
            Map<String, Object> declaration = template.parameter(p);
            Object fallback = declaration.get("Default");
            String value = given.containsKey(p) ? given.get(p) : fallback == null ? null : String.valueOf(fallback);
            if (value == null) {
                problems.add("parameter " + p + " has no default and was not given");
                continue;
            }
            check(p, declaration, value, problems);
            values.put(p, isList(String.valueOf(declaration.get("Type"))) ? split(value) : value);
        }
        return values;
    }

    private static boolean isList(String type) {
        return type.startsWith("CommaDelimitedList") || type.startsWith("List<");
    }

    private static List<Object> split(String value) {
        List<Object> items = new ArrayList<>();
        for (String item : value.split(",", -1)) {
            items.add(item.trim());
        }
        return items;
    }

    private static void check(String name, Map<String, Object> declaration, String value, List<String> problems) {
        String type = String.valueOf(declaration.get("Type"));
        if (type.equals("Number")) {
            try {
                Double.parseDouble(value);
            } catch (NumberFormatException e) {
                problems.add(name + " must be a number: " + value);
            }
        }
        // a list's AllowedValues and AllowedPattern hold for each of its items
        List<String> items = isList(type) ? split(value).stream().map(String::valueOf).toList() : List.of(value);
        Object allowed = declaration.get("AllowedValues");
        Object pattern = declaration.get("AllowedPattern");
        for (String item : items) {
            if (allowed instanceof List<?> values && values.stream().map(String::valueOf).noneMatch(item::equals)) {
                problems.add(name + " must be one of " + values + ": " + value);
            }
            if (pattern instanceof String regex && !Pattern.compile(regex).matcher(item).matches()) {
                problems.add(name + " must match " + regex + ": " + value);
            }
        }
    }
}
