package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgbackup.testsupport.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The workers on Lambda Managed Instances are twins of the standard ones, written out because SAM cannot make one
 * function of both (docs/template-structure.md, "Why the worker twins stay twins"). Each pair is checked to be the
 * same resource, as template.yaml writes it, but for the keys listed here: a change to one twin that is not made to
 * the other fails.
 */
class WorkerTwinsTest {
    /** Each standard worker and its Managed Instances twin. */
    static final Map<String, String> TWINS = Map.of(
            "BackupWorkerFunction", "BackupWorkerManagedFunction",
            "RestoreWorkerFunction", "RestoreWorkerManagedFunction");

    /**
     * Resource keys that may differ: each twin exists only under its own compute's condition, and the managed one is
     * created after the capacity provider it names.
     */
    static final Set<String> RESOURCE_KEYS_THAT_DIFFER = Set.of("Condition", "DependsOn");

    /**
     * Properties that may differ, each because one compute has it and the other has not (or SAM refuses it there):
     * {@code Description} says which compute runs the worker; {@code VpcConfig} is standard Lambda's (the capacity
     * provider holds the managed workers' subnets); {@code EphemeralStorage} is standard Lambda's /tmp (an instance
     * has its own disk); {@code ReservedConcurrentExecutions} keeps the standard restore worker to one at a time (on
     * the instances the S3 locks alone do); {@code AutoPublishAlias} and {@code CapacityProviderConfig} are
     * Managed Instances' (they run published versions on the provider).
     */
    static final Set<String> PROPERTIES_THAT_DIFFER = Set.of("Description", "VpcConfig", "EphemeralStorage",
            "ReservedConcurrentExecutions", "AutoPublishAlias", "CapacityProviderConfig");

    @Test
    void eachManagedWorkerIsItsStandardTwinButForTheListedKeys() throws IOException {
        Map<String, Object> resources = resources();
        TWINS.forEach((standard, managed) -> assertEquals(List.of(),
                differences(resource(resources, standard), resource(resources, managed)),
                managed + " differs from " + standard + " in more than the keys WorkerTwinsTest allows"));
    }

    @Test
    void everyFunctionOnManagedInstancesIsATwin() throws IOException {
        Set<String> managed = new TreeSet<>();
        resources().forEach((id, resource) -> {
            // Fn::ForEach entries are lists, and make no functions
            if (resource instanceof Map<?, ?> r && "AWS::Serverless::Function".equals(r.get("Type"))
                    && "OnManagedInstances".equals(r.get("Condition"))) {
                managed.add(id);
            }
        });
        assertEquals(new TreeSet<>(TWINS.values()), managed);
    }

    /** The check itself: a twin whose shared property has changed, or that gained an unlisted key, is caught. */
    @Test
    void aChangeToOneTwinOnlyIsFound() throws IOException {
        Map<String, Object> resources = resources();
        Map<String, Object> managed = resource(resources, "RestoreWorkerManagedFunction");
        properties(managed).put("Timeout", 900);
        properties(managed).put("Tracing", "Active");
        managed.put("DeletionPolicy", "Retain");

        assertEquals(List.of("DeletionPolicy", "Properties.Timeout", "Properties.Tracing"),
                differences(resource(resources, "RestoreWorkerFunction"), managed));
    }

    /**
     * The keys of the two (resource keys, then properties as "Properties.Name") that differ beyond the allowed ones,
     * once the managed twin's references to the other managed twins read as references to their standard twins.
     */
    static List<String> differences(Map<String, Object> standard, Map<String, Object> managed) {
        Object renamed = asStandard(managed);
        List<String> differ = new ArrayList<>();
        Set<String> compared = new TreeSet<>(RESOURCE_KEYS_THAT_DIFFER);
        compared.add("Properties"); // compared one by one below
        compare(standard, (Map<?, ?>) renamed, compared, "", differ);
        compare(properties(standard), (Map<?, ?>) ((Map<?, ?>) renamed).get("Properties"), PROPERTIES_THAT_DIFFER,
                "Properties.", differ);
        return differ;
    }

    private static void compare(Map<?, ?> a, Map<?, ?> b, Set<String> allowed, String prefix, List<String> differ) {
        Set<String> keys = new TreeSet<>();
        a.keySet().forEach(k -> keys.add(String.valueOf(k)));
        b.keySet().forEach(k -> keys.add(String.valueOf(k)));
        for (String key : keys) {
            if (!allowed.contains(key) && !java.util.Objects.equals(a.get(key), b.get(key))) {
                differ.add(prefix + key);
            }
        }
    }

    /** {@code node} with every reference to a managed twin (or its alias) made to its standard twin. */
    private static Object asStandard(Object node) {
        if (node instanceof Map<?, ?> map) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(k, asStandard(v)));
            return copy;
        }
        if (node instanceof List<?> list) {
            return list.stream().map(WorkerTwinsTest::asStandard).toList();
        }
        if (node instanceof String s) {
            for (Map.Entry<String, String> twin : TWINS.entrySet()) {
                if (s.equals(twin.getValue()) || s.equals(twin.getValue() + ".Alias")) {
                    return twin.getKey();
                }
            }
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> properties(Map<String, Object> resource) {
        return (Map<String, Object>) resource.get("Properties");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> resource(Map<String, Object> resources, String id) {
        return (Map<String, Object>) resources.get(id);
    }

    /** template.yaml's Resources as written: aliases resolved, a short-form tag as a one-key map ("!Ref": ...). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> resources() throws IOException {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(1000);
        Yaml yaml = new Yaml(new TaggedConstructor(options));
        Map<String, Object> template = yaml.load(Files.readString(RepoPaths.root().resolve("template.yaml")));
        return (Map<String, Object>) template.get("Resources");
    }

    /** CloudFormation's short forms (!Ref, !Sub, !If, ...) as the one-key maps they stand for. */
    private static final class TaggedConstructor extends SafeConstructor {
        TaggedConstructor(LoaderOptions options) {
            super(options);
            yamlMultiConstructors.put("!", new AbstractConstruct() {
                @Override
                public Object construct(Node node) {
                    Object value;
                    if (node instanceof ScalarNode scalar) {
                        value = constructScalar(scalar);
                    } else if (node instanceof SequenceNode sequence) {
                        value = constructSequence(sequence);
                    } else {
                        value = constructMapping((MappingNode) node);
                    }
                    return Map.of(node.getTag().getValue(), value);
                }
            });
        }
    }
}
