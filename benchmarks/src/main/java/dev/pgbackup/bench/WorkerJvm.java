package dev.pgbackup.bench;

import dev.pgbackup.common.Json;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.RepoPaths;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@link WorkerProcess} in a JVM of its own, started as Lambda's Java runtime starts a worker, so that its peak
 * memory is the worker's alone. Apart from {@link Benchmark}: the memory benchmarks are the only ones that need it.
 */
final class WorkerJvm {
    private WorkerJvm() {}

    /**
     * The JVM of a Lambda worker of BENCH_WORKER_MEMORY_MB as Lambda's Java runtime starts it (heap 85%, metaspace 10%,
     * code cache 5% of the memory, serial GC, C1 only), seeing that much memory.
     */
    static List<String> flags() {
        long m = Long.parseLong(Benchmark.WORKER_MEMORY_MB);
        return List.of("-XX:MaxRAM=" + m + "m", "-XX:MaxHeapSize=" + (m * 85 / 100) + "m",
                "-XX:MaxMetaspaceSize=" + (m * 10 / 100) + "m", "-XX:ReservedCodeCacheSize=" + (m * 5 / 100) + "m",
                "-XX:+UseSerialGC", "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1");
    }

    /** Runs {@link WorkerProcess} in a new JVM and returns its RESULT. */
    static Map<String, Object> child(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(flags());
        String extra = Benchmark.env("BENCH_WORKER_JVM_OPTS", "");
        if (!extra.isEmpty()) {
            cmd.addAll(List.of(extra.split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "-Drepo.root=" + RepoPaths.root(), "-Dbench.endpoint=" + MotoServer.get().endpoint(),
                "-Daws.region=us-east-1", "-Daws.accessKeyId=test", "-Daws.secretAccessKey=test",
                WorkerProcess.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse(null);
        if (code != 0 || line == null) {
            throw new IllegalStateException("worker process " + List.of(args) + " failed (" + code + "): " + out);
        }
        if (!extra.isEmpty()) { // diagnostics asked for (e.g. -Xlog:gc): show what the child printed
            out.lines().filter(l -> !l.startsWith("RESULT ")).forEach(l -> System.out.println("    | " + l));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> result = Json.MAPPER.readValue(line.substring("RESULT ".length()), Map.class);
        return result;
    }
}
