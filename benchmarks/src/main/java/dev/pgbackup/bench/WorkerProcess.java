package dev.pgbackup.bench;

import dev.pgbackup.backup.BackupService;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.restore.RestoreService;
import dev.pgbackup.restore.RestoreWorkerHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One backup or restore through the product in its own JVM, as a worker container runs it, for its peak memory:
 * {@code backup <environment> <bucket> <database> [KEY=VALUE...]} or
 * {@code restore <environment> <bucket> <database> <file> [KEY=VALUE...]}, the KEY=VALUE pairs being the worker
 * function's environment as template.yaml gives it in the parent's stack; moto at {@code -Dbench.endpoint}.
 * The stack's SSM parameters and key are already there (the parent made the stack). Prints one line
 * {@code RESULT {json}}: duration, bytes, the JVM's own peak RSS (VmHWM, read at the end) and the peak of the JVM
 * plus its tools (pg_dump / pg_restore and their workers; sampled every 50 ms), which is what a Lambda
 * sandbox's memory holds.
 */
public final class WorkerProcess {
    private WorkerProcess() {}

    public static void main(String[] args) throws Exception {
        String op = args[0];
        String environment = args[1];
        String bucket = args[2];
        String file = op.equals("restore") ? args[4] : null;
        Map<String, String> overrides = new HashMap<>();
        for (int i = op.equals("restore") ? 5 : 4; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            overrides.put(kv[0], kv[1]);
        }
        URI endpoint = URI.create(System.getProperty("bench.endpoint"));
        Config config = Config.from(overrides);
        Wiring w = Wiring.forAws(config, new AwsClients(Optional.of(endpoint), true), Clock.systemUTC(),
                new AuditLog(new PrintStream(OutputStream.nullOutputStream())), () -> {
                    throw new UnsupportedOperationException("a worker process launches nothing");
                });
        AtomicLong peakTree = new AtomicLong();
        AtomicLong peakTools = new AtomicLong();
        Thread sampler = startSampler(peakTree, peakTools);
        Map<String, Object> result = new LinkedHashMap<>();
        long start = System.nanoTime();
        if (op.equals("backup")) {
            String name = BackupName.create(config, Instant.now()).filename();
            BackupService.Outcome o = BackupWorkerHandler.service(w).run(new BackupService.Request(JobStore.newJobId(),
                    name, BackupClass.ON_DEMAND), Deadline.in(Duration.ofMinutes(30)));
            result.put("file", o.filename());
            result.put("bytes", o.bytes());
            result.put("timings", o.timings());
        } else {
            RestoreService.Outcome o = RestoreWorkerHandler.service(w).run(JobStore.newJobId(), file,
                    Deadline.in(Duration.ofMinutes(30)));
            result.put("bytes", o.bytes());
            result.put("jobs", o.jobs());
            result.put("timings", o.timings());
        }
        result.put("ms", (System.nanoTime() - start) / 1_000_000);
        sampler.interrupt();
        sampler.join();
        long hwm = kb(ProcessHandle.current().pid(), "VmHWM");
        result.put("vmHwmKb", hwm);
        result.put("peakTreeKb", Math.max(peakTree.get(), hwm));
        result.put("peakToolsKb", peakTools.get());
        result.put("heapMaxMb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        System.out.println("RESULT " + Json.write(result));
        System.out.flush();
        System.exit(0);
    }

    /** Samples the RSS of this JVM and of its tools every 50 ms, keeping the peaks, until interrupted. */
    private static Thread startSampler(AtomicLong peakTree, AtomicLong peakTools) {
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long self = kb(ProcessHandle.current().pid(), "VmRSS");
                // a child between fork and exec still shows the JVM's pages (comm "java"/"jspawnhelper"): not a tool
                long tools = ProcessHandle.current().descendants().filter(p -> !spawning(p.pid()))
                        .mapToLong(p -> kb(p.pid(), "VmRSS")).sum();
                peakTree.accumulateAndGet(self + tools, Math::max);
                peakTools.accumulateAndGet(tools, Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        sampler.setDaemon(true);
        sampler.start();
        return sampler;
    }

    private static boolean spawning(long pid) {
        try {
            String comm = Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
            return comm.equals("java") || comm.equals("jspawnhelper");
        } catch (IOException | RuntimeException gone) {
            return true;
        }
    }

    /** A field of /proc/<pid>/status in kB (0 when the process is gone). */
    static long kb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException gone) {
            // the process ended between the listing and the read
        }
        return 0;
    }
}
