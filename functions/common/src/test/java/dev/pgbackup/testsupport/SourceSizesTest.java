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
 * ({@link SourceSizes}; {@code scripts/sizes.sh} prints them). The ones over the limit when the rule came are listed
 * below with their size then: they may shrink, not grow, and a new one fails. Split one, then take it off the list.
 */
class SourceSizesTest {
    /** Files over 350 lines, with the lines they may have at most. */
    static final Map<String, Integer> LARGE_FILES = Map.of();

    /** Methods over 60 lines ("path#name"), with the lines they may have at most. */
    static final Map<String, Integer> LONG_METHODS = Map.ofEntries(
            Map.entry("functions/restore/src/main/java/dev/pgbackup/restore/ArchiveFeed.java#run", 66));

    private static final Path ROOT = RepoPaths.root();

    @Test
    void noJavaFileGrowsOverItsLimit() {
        List<String> over = new ArrayList<>();
        for (Path file : SourceSizes.javaFiles(ROOT)) {
            SourceSizes.Size size = SourceSizes.file(ROOT, file);
            int limit = LARGE_FILES.getOrDefault(size.path(), SourceSizes.MAX_FILE_LINES);
            if (size.lines() > limit) {
                over.add(size + " (at most " + limit + ")");
            }
        }
        assertEquals(List.of(), over, "split these files (scripts/sizes.sh lists every large one)");
    }

    @Test
    void noMethodGrowsOverItsLimit() {
        Map<String, Integer> longest = new TreeMap<>();
        for (Path file : SourceSizes.javaFiles(ROOT)) {
            for (SourceSizes.Size method : SourceSizes.methods(ROOT, file)) {
                longest.merge(method.path() + "#" + method.name(), method.lines(), Math::max);
            }
        }
        List<String> over = new ArrayList<>();
        longest.forEach((method, lines) -> {
            int limit = LONG_METHODS.getOrDefault(method, SourceSizes.MAX_METHOD_LINES);
            if (lines > limit) {
                over.add(method + ": " + lines + " lines (at most " + limit + ")");
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
