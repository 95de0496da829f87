package dev.pgbackup.testsupport;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A real S3 + SSM API over HTTP: moto in server mode from the project's virtualenv, one per test JVM.
 * {@code MOTO_ENDPOINT} points the tests at a server that is already running instead.
 */
public final class MotoServer {
    private static MotoServer instance;

    private final URI endpoint;
    private final Process process;

    private MotoServer(URI endpoint, Process process) {
        this.endpoint = endpoint;
        this.process = process;
    }

    public static synchronized MotoServer get() {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    public URI endpoint() {
        return endpoint;
    }

    private static MotoServer start() {
        String existing = System.getenv("MOTO_ENDPOINT");
        if (existing != null && !existing.isBlank()) {
            return new MotoServer(URI.create(existing), null);
        }
        Path binary = RepoPaths.root().resolve(".venv/bin/moto_server");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(
                    "moto_server not found at " + binary + ": run scripts/test.sh, which installs it");
        }
        try {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Path log = Files.createTempFile("moto-", ".log");
            // MOTO_SERVER_SCRIPT: a moto_server launcher of the benchmarks' own (benchmarks/moto_server_parts.py)
            String script = System.getenv("MOTO_SERVER_SCRIPT");
            List<String> command = script == null || script.isBlank()
                    ? List.of(binary.toString())
                    : List.of(binary.resolveSibling("python").toString(), script);
            List<String> arguments = new ArrayList<>(command);
            arguments.addAll(List.of("-H", "127.0.0.1", "-p", Integer.toString(port)));
            Process process = new ProcessBuilder(arguments)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
            URI endpoint = URI.create("http://127.0.0.1:" + port);
            waitUntilUp(endpoint, process, log);
            return new MotoServer(endpoint, process);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start moto_server", e);
        }
    }

    private static void waitUntilUp(URI endpoint, Process process, Path log) throws IOException {
        Instant until = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(until)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("moto_server exited: " + Files.readString(log));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/moto-api/").toURL().openConnection();
                c.setConnectTimeout(500);
                if (c.getResponseCode() < 500) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Waits.pause(Duration.ofMillis(200));
        }
        throw new IllegalStateException("moto_server did not start within 60 s: " + Files.readString(log));
    }
}
