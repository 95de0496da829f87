package dev.pgbackup.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The examples of README.md and docs/*.md as the tests run them, so a reader copies exactly what was tested. An
 * example is found by its first line wherever the docs put it; one that is missing, or that two places give (which
 * one would the reader copy?), fails the test that asks for it.
 */
public final class ReadmeExamples {
    private ReadmeExamples() {}

    /** The fenced block whose first line is {@code firstLine} (the block's text, without the fences). */
    public static String block(String firstLine) {
        Pattern fenced = Pattern.compile("```[a-z]*\\n(" + Pattern.quote(firstLine) + "\\n.*?)```", Pattern.DOTALL);
        List<String> found = new ArrayList<>();
        List<Path> where = new ArrayList<>();
        for (Path doc : documents()) {
            Matcher m = fenced.matcher(read(doc));
            while (m.find()) {
                found.add(m.group(1));
                where.add(RepoPaths.root().relativize(doc));
            }
        }
        if (found.size() != 1) {
            throw new IllegalStateException(found.isEmpty()
                    ? "README.md and docs/*.md have no example starting with: " + firstLine
                    : "more than one example starts with '" + firstLine + "': in " + where);
        }
        return found.get(0);
    }

    /** The worked sanitising script of docs/refresh.md, "Sanitising". */
    public static String sanitizeScript() {
        return block(
                "-- sanitize.sql: runs inside every restore of another environment's backup, before anyone sees it");
    }

    static List<Path> documents() {
        Path root = RepoPaths.root();
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> files = Files.list(root.resolve("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    private static String read(Path doc) {
        try {
            return Files.readString(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
