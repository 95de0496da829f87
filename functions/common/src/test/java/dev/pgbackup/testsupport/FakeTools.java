package dev.pgbackup.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Tool folders for fault tests, shaped like the layer ({@code bin/}, {@code postgresql/<major>/bin/},
 * {@code lib/}): the real binaries behind a small shell wrapper that records its arguments and environment
 * names, or that fails in a chosen way. The real tools still run.
 */
public final class FakeTools {
    private static final String[] TOOLS = {"pg_dump", "pg_restore", "pg_dumpall", "psql"};

    private FakeTools() {}

    /**
     * A tools dir whose {@code tool}, in every major, runs {@code script}, with $REAL set to that major's binary
     * and $ROOT to the tools dir (where a script may leave files for the test).
     */
    public static Path wrapping(String tool, String script) {
        try {
            Path real = RepoPaths.pgToolsDir();
            Path dir = Files.createTempDirectory("pgtools-");
            Files.createSymbolicLink(dir.resolve("lib"), real.resolve("lib").toAbsolutePath());
            for (String binDir : binDirs(real)) {
                Files.createDirectories(dir.resolve(binDir));
                for (String t : TOOLS) {
                    Path target = dir.resolve(binDir).resolve(t);
                    Path binary = real.resolve(binDir).resolve(t).toAbsolutePath();
                    if (t.equals(tool)) {
                        Files.writeString(target, "#!/bin/bash\nREAL='" + binary + "'\nROOT='" + dir + "'\n"
                                + "if [ \"$1\" = --version ]; then exec \"$REAL\" --version; fi\n" + script + "\n");
                        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                    } else {
                        Files.createSymbolicLink(target, binary);
                    }
                }
            }
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code bin} and every {@code postgresql/<major>/bin} of the layer. */
    private static List<String> binDirs(Path real) throws IOException {
        List<String> dirs = new ArrayList<>(List.of("bin"));
        Path majors = real.resolve("postgresql");
        if (Files.isDirectory(majors)) {
            try (Stream<Path> s = Files.list(majors)) {
                s.filter(p -> Files.isDirectory(p.resolve("bin"))).sorted()
                        .forEach(p -> dirs.add("postgresql/" + p.getFileName() + "/bin"));
            }
        }
        return dirs;
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
