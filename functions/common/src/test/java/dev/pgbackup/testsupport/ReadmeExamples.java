package dev.pgbackup.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The README's examples as the tests run them, so a reader copies exactly what was tested. */
public final class ReadmeExamples {
    private ReadmeExamples() {
    }

    /** The fenced block whose first line is {@code firstLine} (the block's text, without the fences). */
    public static String block(String firstLine) {
        String readme;
        try {
            readme = Files.readString(RepoPaths.root().resolve("README.md"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Matcher m = Pattern.compile("```[a-z]*\\n(" + Pattern.quote(firstLine) + "\\n.*?)```", Pattern.DOTALL)
                .matcher(readme);
        if (!m.find()) {
            throw new IllegalStateException("README.md has no example starting with: " + firstLine);
        }
        return m.group(1);
    }

    /** The worked sanitising script of README "Sanitising". */
    public static String sanitizeScript() {
        return block("-- sanitize.sql: runs inside every restore of another environment's backup, before anyone sees it");
    }
}
