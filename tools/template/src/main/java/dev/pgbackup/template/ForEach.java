package dev.pgbackup.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Fn::ForEach of the AWS::LanguageExtensions transform, in the Resources section: CloudFormation expands it with
 * the stack's parameters before the SAM transform, so the resolver does it per stack, not translate.py once.
 * {@code Fn::ForEach::Name: [Identifier, Collection, {OutputKey: OutputValue}]} makes one OutputKey per item of
 * the collection, with {@code ${Identifier}} (and, stripped to letters and digits, {@code &{Identifier}}) and
 * {@code Ref: Identifier} replaced by the item.
 */
final class ForEach {
    static final String PREFIX = "Fn::ForEach::";

    private ForEach() {}

    /** The resources the loops make; {@code collection} resolves a loop's collection for the stack. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> expand(Map<String, List<Object>> loops,
            Function<Object, Object> collection) {
        Map<String, Map<String, Object>> made = new LinkedHashMap<>();
        loops.forEach((loop, definition) -> {
            if (definition.size() != 3 || !(definition.get(0) instanceof String identifier)
                    || !(definition.get(2) instanceof Map<?, ?> outputs)) {
                throw new IllegalStateException(loop + " is not [Identifier, Collection, {OutputKey: OutputValue}]");
            }
            if (!(collection.apply(definition.get(1)) instanceof List<?> items)) {
                throw new IllegalStateException(loop + ": its collection is not a list");
            }
            for (Object item : items) {
                String value = String.valueOf(item);
                ((Map<String, Object>) outputs).forEach((String key, Object output) -> {
                    String id = (String) substitute(key, identifier, value);
                    if (!id.matches("[A-Za-z0-9]+")) {
                        throw new IllegalStateException(
                                loop + " makes the logical id " + id + " (letters and digits only)");
                    }
                    if (made.put(id, (Map<String, Object>) substitute(output, identifier, value)) != null) {
                        // CloudFormation refuses the template: two items made one logical id ("a_b" and "ab")
                        throw new IllegalStateException(loop + " makes " + id + " twice");
                    }
                });
            }
        });
        return made;
    }

    private static Object substitute(Object node, String identifier, String value) {
        if (node instanceof String text) {
            return text.replace("${" + identifier + "}", value)
                    .replace("&{" + identifier + "}", value.replaceAll("[^A-Za-z0-9]", ""));
        }
        if (node instanceof Map<?, ?> map) {
            if (map.size() == 1 && identifier.equals(map.get("Ref"))) {
                return value;
            }
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach(
                    (k, v) -> copy.put((String) substitute(k, identifier, value), substitute(v, identifier, value)));
            return copy;
        }
        if (node instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            list.forEach(v -> copy.add(substitute(v, identifier, value)));
            return copy;
        }
        return node;
    }
}
