package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.config.Variable;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.testsupport.RepoPaths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * template.yaml and {@link Variable} agree: the template sets every variable the code reads (those it should set),
 * and nothing the code does not read; a variable set from a parameter has the code's default as the parameter's.
 */
class TemplateConfigurationIT {
    static final SamTemplate TEMPLATE = SamTemplate.load(RepoPaths.root());

    @Test
    void theTemplateSetsWhatTheCodeReadsAndNothingElse() {
        Map<String, List<String>> set = TEMPLATE.variablesSet();
        TreeSet<String> expected = new TreeSet<>();
        for (Variable v : Variable.values()) {
            if (v.source == Variable.Source.TEMPLATE || v.source == Variable.Source.JVM) {
                expected.add(v.name());
            }
        }
        TreeSet<String> unread = new TreeSet<>(set.keySet());
        unread.removeAll(expected);
        TreeSet<String> unset = new TreeSet<>(expected);
        unset.removeAll(set.keySet());
        assertEquals(List.of(), List.copyOf(unread), "template.yaml sets variables no code reads (declare them in "
                + "Variable, or drop them from the template)");
        assertEquals(List.of(), List.copyOf(unset), "the code reads variables template.yaml never sets");
    }

    /**
     * Where the code has a default, the parameter's is the same: a stack deployed with defaults behaves like the code
     * unconfigured. (A variable the code requires may have a default in the template: AppName's; one the code leaves
     * off may be on in a stack: EVENT_BUS_NAME, NOTIFICATION_TOPIC_ARN, BACKUP_KMS_KEY_ID.)
     */
    @Test
    void aVariableSetFromAParameterHasTheCodesDefault() {
        List<String> differ = new ArrayList<>();
        for (Variable v : Variable.from(Variable.Source.TEMPLATE)) {
            if (v.fallback == null) {
                continue;
            }
            TEMPLATE.parameterOf(v.name()).ifPresent(parameter -> {
                Object declared = TEMPLATE.parameter(parameter).get("Default");
                String templateDefault = declared == null ? "" : String.valueOf(declared);
                if (!templateDefault.equals(v.fallback)) {
                    differ.add(
                            v + " defaults to '" + v.fallback + "' but " + parameter + " to '" + templateDefault + "'");
                }
            });
        }
        assertTrue(differ.isEmpty(), String.join("\n", differ));
    }
}
