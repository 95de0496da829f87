package dev.pgbackup.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The lines of every Java file of the repository and of every method in it, for the size guardrail
 * (SourceSizesTest) and for {@code scripts/sizes.sh}, which runs this file with {@code java} alone: it uses
 * nothing but the JDK. Methods are found by braces after comments and literals are blanked out, which is exact
 * enough for code that compiles; a method's lines run from its first line (annotations excluded) to its closing
 * brace.
 */
public final class SourceSizes {
    public static final int MAX_FILE_LINES = 350;
    public static final int MAX_METHOD_LINES = 60;

    private static final Set<String> SKIPPED_DIRECTORIES = Set.of("target", ".git", ".venv", ".aws-sam", "build",
            "node_modules");
    private static final Pattern TYPE = Pattern.compile("\\b(class|interface|enum|record)\\s+\\w+");
    private static final Pattern NOT_A_METHOD = Pattern.compile(
            "^(if|for|while|switch|catch|synchronized|try|else|do|return|throw|new|case|default)\\b|->|\\bnew\\s|=");

    /** A file of {@code lines} lines, or a method {@code name} of it with {@code lines} lines. */
    public record Size(String path, String name, int lines) {
        @Override
        public String toString() {
            return name == null ? lines + " lines  " + path : lines + " lines  " + path + " " + name + "()";
        }
    }

    private SourceSizes() {}

    public static List<Path> javaFiles(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> p.toString().endsWith(".java") && Files.isRegularFile(p))
                    .filter(p -> root.relativize(p).getNameCount() > 0 && !skipped(root.relativize(p)))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean skipped(Path relative) {
        for (Path part : relative) {
            if (SKIPPED_DIRECTORIES.contains(part.toString())) {
                return true;
            }
        }
        return false;
    }

    public static Size file(Path root, Path file) {
        return new Size(path(root, file), null, read(file).size());
    }

    public static List<Size> methods(Path root, Path file) {
        List<Size> found = new ArrayList<>();
        char[] code = blanked(String.join("\n", read(file))).toCharArray();
        // per open brace: whether it opened a type's body, and for a method its name and first line
        List<Object[]> open = new ArrayList<>();
        int line = 1;
        int headerStart = 0;
        for (int i = 0; i < code.length; i++) {
            char c = code[i];
            if (c == '\n') {
                line++;
            } else if (c == '{') {
                String header = new String(code, headerStart, i - headerStart).strip();
                boolean inType = !open.isEmpty() && (boolean) open.get(open.size() - 1)[0];
                String method = inType ? methodName(header) : null;
                int firstLine = line - (int) declaration(header).chars().filter(ch -> ch == '\n').count();
                open.add(new Object[] {TYPE.matcher(header).find(), method, firstLine});
                headerStart = i + 1;
            } else if (c == '}') {
                Object[] closed = open.isEmpty() ? new Object[] {false, null, line} : open.remove(open.size() - 1);
                if (closed[1] != null) {
                    found.add(new Size(path(root, file), (String) closed[1], line - (int) closed[2] + 1));
                }
                headerStart = i + 1;
            } else if (c == ';') {
                headerStart = i + 1;
            }
        }
        return found;
    }

    /** The header from its first line that is not an annotation: where a method's lines are counted from. */
    private static String declaration(String header) {
        int start = 0;
        while (header.startsWith("@", start) && header.indexOf('\n', start) >= 0) {
            start = header.indexOf('\n', start) + 1;
            while (start < header.length() && Character.isWhitespace(header.charAt(start))) {
                start++;
            }
        }
        return header.substring(start);
    }

    /** The method or constructor a brace in a type's body opens, from the text before it; null for anything else. */
    private static String methodName(String header) {
        String declaration = header.replaceAll("(?s)@\\w+(\\.\\w+)*(\\([^)]*\\))?", " ").strip();
        int paren = declaration.indexOf('(');
        if (paren < 0 || TYPE.matcher(declaration).find() || NOT_A_METHOD.matcher(declaration).find()) {
            return null;
        }
        String[] words = declaration.substring(0, paren).strip().split("\\s+");
        return words[words.length - 1];
    }

    /** The code with comments, strings, text blocks and characters replaced by spaces (newlines kept). */
    static String blanked(String source) {
        StringBuilder out = new StringBuilder(source);
        int i = 0;
        while (i < source.length()) {
            int end;
            if (source.startsWith("//", i)) {
                end = source.indexOf('\n', i);
                end = end < 0 ? source.length() : end;
            } else if (source.startsWith("/*", i)) {
                end = source.indexOf("*/", i + 2) + 2;
            } else if (source.startsWith("\"\"\"", i)) {
                end = source.indexOf("\"\"\"", i + 3) + 3;
            } else if (source.charAt(i) == '"' || source.charAt(i) == '\'') {
                end = closingQuote(source, i);
            } else {
                i++;
                continue;
            }
            for (int j = i; j < end; j++) {
                if (out.charAt(j) != '\n') {
                    out.setCharAt(j, ' ');
                }
            }
            i = end;
        }
        return out.toString();
    }

    private static int closingQuote(String source, int start) {
        char quote = source.charAt(start);
        int i = start + 1;
        while (i < source.length() && source.charAt(i) != quote) {
            i += source.charAt(i) == '\\' ? 2 : 1;
        }
        return i + 1;
    }

    private static List<String> read(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String path(Path root, Path file) {
        return root.relativize(file).toString().replace('\\', '/');
    }

    /** Prints every Java file over 350 lines and every method over 60, largest first, then the counts. */
    public static void main(String[] args) {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        List<Size> files = new ArrayList<>();
        List<Size> methods = new ArrayList<>();
        for (Path f : javaFiles(root)) {
            Size size = file(root, f);
            if (size.lines() > MAX_FILE_LINES) {
                files.add(size);
            }
            methods(root, f).stream().filter(m -> m.lines() > MAX_METHOD_LINES).forEach(methods::add);
        }
        files.sort((a, b) -> b.lines() - a.lines());
        methods.sort((a, b) -> b.lines() - a.lines());
        System.out.println("Java files over " + MAX_FILE_LINES + " lines: " + files.size());
        files.forEach(s -> System.out.println("  " + s));
        System.out.println("Methods over " + MAX_METHOD_LINES + " lines: " + methods.size());
        methods.forEach(s -> System.out.println("  " + s));
    }
}
