package dev.pgbackup.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.testsupport.RepoPaths;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The functions' variables table of docs/configuration.md says what {@link Variable} declares: the same variables,
 * the same defaults.
 */
class VariableTest {
    private static final Pattern NAME = Pattern.compile("`([A-Z][A-Z0-9_]+)`");

    static final String DOC = "docs/configuration.md";
    static final String SECTION = "\n## Environment variables of the functions\n";

    /** Variable name -> the doc's default for it (its part of the row's default column). */
    static Map<String, String> documentedTable() throws Exception {
        String doc = Files.readString(RepoPaths.root().resolve(DOC));
        int start = doc.indexOf(SECTION);
        assertTrue(start >= 0, () -> DOC + " has no section" + SECTION);
        int end = doc.indexOf("\n## ", start + 1);
        String section = doc.substring(start + 1, end < 0 ? doc.length() : end);
        Map<String, String> documented = new LinkedHashMap<>();
        for (String line : section.split("\n")) {
            if (!line.startsWith("| `")) {
                continue;
            }
            String[] cells = line.split("\\|");
            List<String> names = new ArrayList<>();
            Matcher m = NAME.matcher(cells[1]);
            while (m.find()) {
                names.add(m.group(1));
            }
            // one default for the row, or one per variable
            String[] defaults = names.size() == 1 ? new String[] {cells[2].trim()} : cells[2].trim().split(", ");
            assertTrue(defaults.length == 1 || defaults.length == names.size(),
                    () -> "one default, or one per variable, in " + DOC + " row: " + line);
            for (int i = 0; i < names.size(); i++) {
                documented.put(names.get(i), defaults[defaults.length == 1 ? 0 : i].trim());
            }
        }
        return documented;
    }

    @Test
    void docsDocumentExactlyTheDeclaredVariables() throws Exception {
        Map<String, String> documented = documentedTable();
        List<String> declared = new ArrayList<>();
        for (Variable v : Variable.values()) {
            if (v.source == Variable.Source.TEMPLATE || v.source == Variable.Source.LOCAL) {
                declared.add(v.name());
            }
        }
        assertEquals(declared.stream().sorted().toList(), documented.keySet().stream().sorted().toList(),
                DOC + "'s table of variables and Variable");
    }

    @Test
    void docsGiveTheDeclaredDefaults() throws Exception {
        Map<String, String> documented = documentedTable();
        List<String> wrong = new ArrayList<>();
        documented.forEach((name, readme) -> {
            String fallback = Variable.valueOf(name).fallback;
            String expected = fallback == null ? "—" : fallback;
            if (!readme.replace("`", "").startsWith(expected)) {
                wrong.add(name + ": " + DOC + " says '" + readme + "', Variable says '" + expected + "'");
            }
        });
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }
}
