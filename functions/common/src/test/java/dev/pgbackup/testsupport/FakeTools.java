package dev.pgbackup.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Tool folders for fault tests: the real layer binaries behind a small shell wrapper that records its
 * arguments and environment names, or that fails in a chosen way. The real pg_dump still runs.
 */
public final class FakeTools {
    private FakeTools() {
    }

    /** A tools dir whose {@code tool} runs {@code script} (with $REAL set to the layer's binary). */
    public static Path wrapping(String tool, String script) {
        try {
            Path real = RepoPaths.pgToolsDir();
            Path dir = Files.createTempDirectory("pgtools-");
            Files.createDirectories(dir.resolve("bin"));
            Files.createSymbolicLink(dir.resolve("lib"), real.resolve("lib").toAbsolutePath());
            for (String t : new String[] {"pg_dump", "pg_restore", "psql"}) {
                Path target = dir.resolve("bin").resolve(t);
                if (t.equals(tool)) {
                    Files.writeString(target, "#!/bin/bash\nREAL='" + real.resolve("bin").resolve(t) + "'\n"
                            + "if [ \"$1\" = --version ]; then exec \"$REAL\" --version; fi\n" + script + "\n");
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                } else {
                    Files.createSymbolicLink(target, real.resolve("bin").resolve(t).toAbsolutePath());
                }
            }
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A tools dir with no binaries at all. */
    public static Path empty() {
        try {
            Path dir = Files.createTempDirectory("pgtools-empty-");
            Files.createDirectories(dir.resolve("bin"));
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
