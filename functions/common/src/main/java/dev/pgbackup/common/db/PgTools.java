package dev.pgbackup.common.db;

import dev.pgbackup.common.config.Compression;
import dev.pgbackup.common.failure.Failure;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The PostgreSQL client binaries of the layer: {@code <dir>/postgresql/<major>/bin/*} for each bundled
 * major, and {@code <dir>/bin/*} (the newest). Chooses the binaries that fit a server, and starts them
 * with the connection in the environment, never in the argument list.
 */
public class PgTools {
    public static final String PG_DUMP_MISSING = "pg_dump command not found. Ensure PostgreSQL client tools are installed on the server.";
    public static final String PG_RESTORE_MISSING = "pg_restore command not found. Ensure PostgreSQL client tools are installed on the server.";
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?");

    /** One bundled major: its bin folder and the version string its pg_dump reports. */
    public record Installation(int major, String version, Path binDir) {
        public Path tool(String name) {
            return binDir.resolve(name);
        }
    }

    private final Path root;
    private final Map<Path, Optional<Installation>> probed = new ConcurrentHashMap<>();

    public PgTools(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /** Every bundled installation that has the tool, newest major first. */
    public List<Installation> installations(String tool) {
        List<Path> dirs = new ArrayList<>();
        Path majors = root.resolve("postgresql");
        if (Files.isDirectory(majors)) {
            try (Stream<Path> s = Files.list(majors)) {
                s.map(p -> p.resolve("bin")).forEach(dirs::add);
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + majors, e);
            }
        }
        dirs.add(root.resolve("bin"));
        List<Installation> found = new ArrayList<>();
        for (Path dir : dirs) {
            if (Files.isExecutable(dir.resolve(tool))) {
                probe(dir).filter(i -> found.stream().noneMatch(f -> f.major() == i.major())).ifPresent(found::add);
            }
        }
        found.sort(Comparator.comparingInt(Installation::major).reversed());
        return found;
    }

    /**
     * The pg_dump for a server and a compression: the lowest bundled major that is not older than the server
     * (pg_dump refuses newer servers) and writes the compression (zstd and lz4 need 16). The lowest such major
     * keeps the archive readable by the most pg_restore versions (an operator's, by hand).
     */
    public Installation pgDumpFor(int serverMajor, Compression compression) {
        List<Installation> all = installations("pg_dump");
        if (all.isEmpty()) {
            throw Failure.server(PG_DUMP_MISSING);
        }
        if (all.get(0).major() < serverMajor) {
            throw Failure.server("The database server runs PostgreSQL " + serverMajor
                    + " but the newest bundled pg_dump is " + all.get(0).version()
                    + ". Rebuild the postgresql-client layer with PG_MAJORS including " + serverMajor
                    + " and redeploy.");
        }
        int needed = Math.max(serverMajor, compression.firstPgDumpMajor());
        return all.stream()
                .filter(i -> i.major() >= needed)
                .min(Comparator.comparingInt(Installation::major))
                .orElseThrow(() -> Failure.server("BACKUP_COMPRESSION " + compression + " needs pg_dump "
                        + compression.firstPgDumpMajor() + " or later, but the newest bundled pg_dump is "
                        + all.get(0).version() + ". Choose gzip, or rebuild the layer with a newer major."));
    }

    /**
     * The pg_restore that restores an archive written by pg_dump {@code dumpedByMajor} into a server of
     * {@code serverMajor}: the lowest bundled major that reads the archive (a pg_restore reads the archives of
     * its own and older pg_dumps). From 17 on, pg_restore sets transaction_timeout, which older servers reject,
     * so an archive only 17+ can read cannot go into a server before 17: refused here, naming both versions,
     * before anything is touched.
     */
    public Installation pgRestoreFor(int dumpedByMajor, String dumpedBy, int serverMajor) {
        List<Installation> all = installations("pg_restore");
        if (all.isEmpty()) {
            throw Failure.server(PG_RESTORE_MISSING);
        }
        Installation chosen = all.stream()
                .filter(i -> i.major() >= dumpedByMajor)
                .min(Comparator.comparingInt(Installation::major))
                .orElseThrow(() -> Failure.server("The backup was written by pg_dump " + dumpedBy
                        + " but the newest bundled pg_restore is " + all.get(0).version()
                        + ", which cannot read it. Rebuild the postgresql-client layer with PG_MAJORS including "
                        + dumpedByMajor + " and redeploy."));
        if (chosen.major() >= TRANSACTION_TIMEOUT_MAJOR && serverMajor < TRANSACTION_TIMEOUT_MAJOR) {
            throw Failure.conflict("The backup was written by pg_dump " + dumpedBy + "; only pg_restore "
                    + chosen.major() + " or later reads it, and that sets transaction_timeout, which this database "
                    + "server (PostgreSQL " + serverMajor + ") does not know. Restore a backup written by pg_dump "
                    + (TRANSACTION_TIMEOUT_MAJOR - 1) + " or earlier, or upgrade the target to PostgreSQL "
                    + TRANSACTION_TIMEOUT_MAJOR + " or later");
        }
        return chosen;
    }

    /** The first pg_restore that sets transaction_timeout (a PostgreSQL 17 setting). */
    static final int TRANSACTION_TIMEOUT_MAJOR = 17;

    /** pg_restore reads archives of every older pg_dump, so the newest bundled one reads any archive's header. */
    public Installation newestPgRestore() {
        List<Installation> all = installations("pg_restore");
        if (all.isEmpty()) {
            throw Failure.server(PG_RESTORE_MISSING);
        }
        return all.get(0);
    }

    private Optional<Installation> probe(Path binDir) {
        return probed.computeIfAbsent(binDir, dir -> {
            Path tool = Files.isExecutable(dir.resolve("pg_dump")) ? dir.resolve("pg_dump") : dir.resolve("pg_restore");
            try {
                ProcessBuilder builder = new ProcessBuilder(tool.toString(), "--version").redirectErrorStream(true);
                builder.environment().clear();
                builder.environment().putAll(environmentFor(null));
                Process p = builder.start();
                p.getOutputStream().close();
                String out;
                try (InputStream in = p.getInputStream()) {
                    out = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
                }
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return Optional.empty();
                }
                Matcher m = VERSION.matcher(out);
                if (p.exitValue() != 0 || !m.find()) {
                    return Optional.empty();
                }
                String version = m.group(1) + (m.group(2) != null ? "." + m.group(2) : "");
                return Optional.of(new Installation(Integer.parseInt(m.group(1)), version, dir));
            } catch (IOException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        });
    }

    /** What a child inherits from us (the runtime's): not the function's AWS credentials, nor any stray PG* variable. */
    private static final List<dev.pgbackup.common.config.Variable> INHERITED = dev.pgbackup.common.config.Variable
            .from(dev.pgbackup.common.config.Variable.Source.RUNTIME);

    /**
     * The child's environment: the few variables it needs (Lambda puts /opt/lib on LD_LIBRARY_PATH), the
     * layer's lib folder, and the connection's libpq variables. HOME points at /tmp so that no
     * ~/.pgpass or ~/.psqlrc of the machine is read.
     */
    public Map<String, String> environmentFor(DbConnection connection) {
        Map<String, String> env = new HashMap<>();
        for (var variable : INHERITED) {
            String value = System.getenv(variable.name());
            if (value != null) {
                env.put(variable.name(), value);
            }
        }
        env.put("HOME", System.getProperty("java.io.tmpdir", "/tmp"));
        String libs = root.resolve("lib").toString();
        String current = env.get("LD_LIBRARY_PATH");
        env.put("LD_LIBRARY_PATH", current == null || current.isBlank() ? libs : libs + ":" + current);
        if (connection != null) {
            env.putAll(connection.libpqEnvironment());
        }
        return env;
    }

    /** Starts a tool; stderr is collected (bounded) by a daemon thread. */
    public RunningTool start(Installation installation, String tool, List<String> args, DbConnection connection)
            throws IOException {
        return start(installation, tool, args, connection, null);
    }

    /** Starts a tool whose stderr lines (its --verbose progress) also go to {@code stderrLines}. */
    public RunningTool start(Installation installation, String tool, List<String> args, DbConnection connection,
            java.util.function.Consumer<String> stderrLines) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(installation.tool(tool).toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(environmentFor(connection));
        return RunningTool.start(builder, tool, stderrLines);
    }

}
