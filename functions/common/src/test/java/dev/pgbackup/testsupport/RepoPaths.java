package dev.pgbackup.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository's shared test assets are (.venv with moto, the built layer). */
public final class RepoPaths {
    private RepoPaths() {}

    public static Path root() {
        String configured = System.getProperty("repo.root");
        Path start = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
        for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("template.yaml")) || Files.isDirectory(p.resolve(".git"))) {
                return p;
            }
        }
        return start.toAbsolutePath();
    }

    /** The PostgreSQL client tools the tests use: the built layer, unless PG_TOOLS_DIR says otherwise. */
    public static Path pgToolsDir() {
        String override = System.getenv("PG_TOOLS_DIR");
        Path dir = override != null && !override.isBlank() ? Path.of(override)
                : root().resolve("layers/postgresql-client/build");
        if (!Files.isExecutable(dir.resolve("bin/pg_dump"))) {
            throw new IllegalStateException("No PostgreSQL client layer at " + dir
                    + ": build it with 'make -C layers/postgresql-client local' (scripts/test.sh does)");
        }
        return dir;
    }

    /** A tool of the layer's major {@code major} (what the product picks for a server of that major). */
    public static Path pgTool(int major, String tool) {
        Path byMajor = pgToolsDir().resolve("postgresql/" + major + "/bin/" + tool);
        return Files.isExecutable(byMajor) ? byMajor : pgToolsDir().resolve("bin/" + tool);
    }
}
