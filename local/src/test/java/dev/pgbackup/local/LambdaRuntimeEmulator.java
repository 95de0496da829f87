package dev.pgbackup.local;

import dev.pgbackup.testsupport.RepoPaths;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One function under the AWS Lambda Runtime Interface Emulator (the binary aws-sam-cli ships, which
 * {@code sam local invoke} runs inside its container) with the Java Runtime Interface Client as bootstrap:
 * {@code aws-lambda-rie java -cp <function jar>:<RIC> com.amazonaws...AWSLambda <handler>}. The function
 * sees only the environment given here, as in Lambda.
 */
final class LambdaRuntimeEmulator implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final java.util.Set<Integer> HANDED_OUT = new java.util.HashSet<>();

    final String name;
    private final Process process;
    private final int port;
    private final Path log;

    private LambdaRuntimeEmulator(String name, Process process, int port, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static Path rieBinary() {
        Path venv = RepoPaths.root().resolve(".venv/lib");
        try (Stream<Path> found = Files.find(venv, 6,
                (p, a) -> p.endsWith("samcli/local/rapid/aws-lambda-rie-x86_64"))) {
            return found.findFirst().orElseThrow(() -> new IllegalStateException(
                    "aws-lambda-rie-x86_64 not found under " + venv + " (aws-sam-cli installs it: scripts/test.sh)"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The runtime interface client and its serialization library, from this test's class path. */
    static List<String> runtimeInterfaceClient() {
        List<String> jars = Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(p -> p.contains("aws-lambda-java-runtime-interface-client")
                        || p.contains("aws-lambda-java-serialization"))
                .collect(Collectors.toList());
        if (jars.size() != 2) {
            throw new IllegalStateException("runtime interface client jars not on the test class path: " + jars);
        }
        return jars;
    }

    /** @param extraClassPath after the function's jar and the runtime client (the tests' call recorder) */
    static LambdaRuntimeEmulator start(String name, Path functionJar, String handler, Map<String, String> env,
            Path logDir, List<String> extraClassPath) throws IOException {
        if (!Files.isRegularFile(functionJar)) {
            throw new IllegalStateException("packaged function missing: " + functionJar + " (mvn package builds it)");
        }
        // a free port can be taken by another process between our probe and the emulator's bind: try fresh ones
        for (int attempt = 1;; attempt++) {
            LambdaRuntimeEmulator rie = launch(name, functionJar, handler, env, logDir, extraClassPath);
            try {
                rie.awaitListening();
                return rie;
            } catch (IllegalStateException e) {
                rie.close();
                if (attempt >= 5 || !String.valueOf(e.getMessage()).contains("address already in use")) {
                    throw e;
                }
            }
        }
    }

    private static LambdaRuntimeEmulator launch(String name, Path functionJar, String handler, Map<String, String> env,
            Path logDir, List<String> extraClassPath) throws IOException {
        int port = freePort();
        int runtimeApiPort = freePort();
        List<String> classPath = new ArrayList<>();
        classPath.add(functionJar.toString());
        classPath.addAll(runtimeInterfaceClient());
        classPath.addAll(extraClassPath);
        List<String> command = List.of(rieBinary().toString(),
                "--runtime-interface-emulator-address", "127.0.0.1:" + port,
                "--runtime-api-address", "127.0.0.1:" + runtimeApiPort,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // the flags of Lambda's java runtimes
                "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-Xmx512m",
                "-cp", String.join(java.io.File.pathSeparator, classPath),
                "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                handler);
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        builder.environment().put("LAMBDA_TASK_ROOT", logDir.toString());
        builder.environment().put("AWS_LAMBDA_FUNCTION_NAME", name);
        builder.environment().putAll(env);
        return new LambdaRuntimeEmulator(name, builder.start(), port, log);
    }

    private void awaitListening() throws IOException {
        Instant until = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + ": emulator exited: " + Files.readString(log));
            }
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                if (Instant.now().isAfter(until)) {
                    throw new IllegalStateException(
                            name + ": emulator not listening after 30 s: " + Files.readString(log));
                }
                try {
                    process.waitFor(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** A synchronous invoke, as {@code sam local invoke -e} does; returns the function's JSON result. */
    String invoke(String eventJson) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/2015-03-31/functions/function/invocations"))
                .timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.ofString(eventJson))
                .build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    name + ": emulator answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /** A port free now and not handed to another emulator of this JVM (they start in parallel). */
    private static int freePort() throws IOException {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0)) {
                synchronized (HANDED_OUT) {
                    if (HANDED_OUT.add(socket.getLocalPort())) {
                        return socket.getLocalPort();
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
