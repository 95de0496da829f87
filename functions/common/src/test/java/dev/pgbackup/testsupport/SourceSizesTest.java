package dev.pgbackup.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No Java file of the repository (tests and benchmarks included) over 350 lines and no method over 60
 * ({@link SourceSizes}; {@code scripts/sizes.sh} prints them). The files and methods that were over when the rule came
 * have all been split, so the list of exceptions it started with is gone: there are none.
 */
class SourceSizesTest {
    private static final Path ROOT = RepoPaths.root();

    @Test
    void noJavaFileIsOverTheLimit() {
        List<String> over = new ArrayList<>();
        for (Path file : SourceSizes.javaFiles(ROOT)) {
            SourceSizes.Size size = SourceSizes.file(ROOT, file);
            if (size.lines() > SourceSizes.MAX_FILE_LINES) {
                over.add(size + " (at most " + SourceSizes.MAX_FILE_LINES + ")");
            }
        }
        assertEquals(List.of(), over, "split these files (scripts/sizes.sh lists every large one)");
    }

    @Test
    void noMethodIsOverTheLimit() {
        Map<String, Integer> longest = new TreeMap<>();
        for (Path file : SourceSizes.javaFiles(ROOT)) {
            for (SourceSizes.Size method : SourceSizes.methods(ROOT, file)) {
                longest.merge(method.path() + "#" + method.name(), method.lines(), Math::max);
            }
        }
        List<String> over = new ArrayList<>();
        longest.forEach((method, lines) -> {
            if (lines > SourceSizes.MAX_METHOD_LINES) {
                over.add(method + ": " + lines + " lines (at most " + SourceSizes.MAX_METHOD_LINES + ")");
            }
        });
        assertEquals(List.of(), over, "split these methods (scripts/sizes.sh lists every long one)");
    }

    @Test
    void theMeasureFindsMethodsAndIgnoresBracesInLiteralsAndComments(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("A.java");
        Files.writeString(file, String.join("\n",
                "class A {",
                "    // a } in a comment",
                "    @Override",
                "    public String toString() {",
                "        String s = \"}}{\";",
                "        Runnable r = () -> {",
                "        };",
                "        return s + '}';",
                "    }",
                "    static final class B {",
                "        B(int x) {",
                "            if (x > 0) {",
                "            }",
                "        }",
                "    }",
                "}"));
        assertEquals(List.of(new SourceSizes.Size("A.java", "toString", 6), new SourceSizes.Size("A.java", "B", 4)),
                SourceSizes.methods(dir, file));
        assertEquals(new SourceSizes.Size("A.java", null, 16), SourceSizes.file(dir, file));
    }
}
