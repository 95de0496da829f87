package dev.pgbackup.common.failure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SourceSizes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Main code words a failure through {@link Verdict} only: a verdict's words pasted in a literal elsewhere would be a
 * second wording, and one day a second parser of it. Tests may spell messages out, they assert them.
 */
class VerdictWordingTest {
    private static final Path ROOT = RepoPaths.root();
    private static final String CATALOGUE = "functions/common/src/main/java/dev/pgbackup/common/failure/Verdict.java";

    @Test
    void noMainCodeOutsideTheCatalogueSpellsAVerdict() {
        List<String> found = new ArrayList<>();
        for (Path file : mainSources()) {
            String path = ROOT.relativize(file).toString().replace('\\', '/');
            if (path.equals(CATALOGUE)) {
                continue;
            }
            List<String> lines = read(file);
            for (int i = 0; i < lines.size(); i++) {
                for (Verdict v : Verdict.values()) {
                    if (lines.get(i).contains("\"" + v.words())) {
                        found.add(path + ":" + (i + 1) + " spells " + v.name());
                    }
                }
            }
        }
        assertEquals(List.of(), found, "use Verdict (Failure.server(Verdict.X, reason), Verdict.X.message(reason))");
    }

    /** A message is for people: what code needs from a failure is a field (verdict, reason, kind), never a cut. */
    @Test
    void noMainCodeCutsAMessageBackApart() {
        java.util.regex.Pattern cut = java.util.regex.Pattern.compile(
                "(getMessage|statement)\\(\\)\\.(startsWith|endsWith|substring|indexOf|split|replace)\\(");
        List<String> found = new ArrayList<>();
        for (Path file : mainSources()) {
            List<String> lines = read(file);
            for (int i = 0; i < lines.size(); i++) {
                if (cut.matcher(lines.get(i)).find()) {
                    found.add(ROOT.relativize(file) + ":" + (i + 1));
                }
            }
        }
        assertEquals(List.of(), found, "read Failure.verdict()/reason() instead of parsing the message");
    }

    private static List<Path> mainSources() {
        List<Path> main = SourceSizes.javaFiles(ROOT).stream()
                .filter(f -> ROOT.relativize(f).toString().replace('\\', '/').contains("/src/main/java/")).toList();
        assertTrue(main.size() > 100, "the sources were found: " + main.size());
        return main;
    }

    private static List<String> read(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
