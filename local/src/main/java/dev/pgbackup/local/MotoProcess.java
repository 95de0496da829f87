package dev.pgbackup.local;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/** moto in server mode (S3 + SSM over HTTP) from the project's virtualenv, stopped with this process. */
final class MotoProcess implements AutoCloseable {
    private final Process process;
    private final URI endpoint;
    private final Path log;

    private MotoProcess(Process process, URI endpoint, Path log) {
        this.process = process;
        this.endpoint = endpoint;
        this.log = log;
    }

    static MotoProcess start(Path root, int port) throws IOException {
        Path binary = root.resolve(".venv/bin/moto_server");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(
                    "moto_server not found at " + binary + " (scripts/run-local.sh installs it)");
        }
        Path logDir = root.resolve(".local");
        Files.createDirectories(logDir);
        Path log = logDir.resolve("moto-" + port + ".log");
        Process process = new ProcessBuilder(binary.toString(), "-H", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        MotoProcess moto = new MotoProcess(process, URI.create("http://127.0.0.1:" + port), log);
        moto.awaitUp();
        return moto;
    }

    URI endpoint() {
        return endpoint;
    }

    Path log() {
        return log;
    }

    private void awaitUp() throws IOException {
        Instant until = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(until)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("moto_server exited: " + Files.readString(log));
            }
            if (isUp(endpoint)) {
                return;
            }
            try {
                process.waitFor(200, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting moto");
            }
        }
        close();
        throw new IllegalStateException("moto_server did not answer within 60 s; log: " + log);
    }

    static boolean isUp(URI endpoint) {
        try {
            HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/moto-api/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            return c.getResponseCode() < 500;
        } catch (IOException notYet) {
            return false;
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
