package dev.pgbackup.testsupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.UUID;

/**
 * Where this JVM writes what the tests' functions asked AWS for, as JSON lines: one {@code stack} line per stack
 * (its parameters and the resources made outside it), one {@code call} line per request a function made. The files
 * live under the module's {@code target/iam-calls/} (emptied before each integration test run of the module, see the
 * POM) and IamEvaluationIT, the last test of the build, evaluates them against template.yaml's IAM.
 */
public final class CallLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static CallLog instance;

    private final BufferedWriter out;

    private CallLog(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "call-log"));
    }

    /** This JVM's log: in {@code iam.calls.dir} (the POM sets it per module), else {@code target/iam-calls}. */
    public static synchronized CallLog get() {
        if (instance == null) {
            String dir = System.getProperty("iam.calls.dir", Path.of("target", "iam-calls").toString());
            try {
                instance = new CallLog(Path.of(dir).resolve("calls-" + ProcessHandle.current().pid() + "-"
                        + UUID.randomUUID().toString().substring(0, 8) + ".jsonl"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    /** A log in a given file (a function run in another process, see {@link GlobalCallRecorder}). */
    static CallLog at(Path file) {
        try {
            return new CallLog(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized void write(Map<String, Object> line) {
        try {
            out.write(JSON.writeValueAsString(line));
            out.newLine();
            // each line whole on disk as soon as it is written: a test JVM may be ended without its hooks
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            // nothing left to do at shutdown
        }
    }
}
