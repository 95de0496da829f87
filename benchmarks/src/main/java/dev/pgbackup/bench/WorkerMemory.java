package dev.pgbackup.bench;

import static dev.pgbackup.bench.Benchmark.RUNS;
import static dev.pgbackup.bench.Benchmark.SIZES;
import static dev.pgbackup.bench.Benchmark.heading;
import static dev.pgbackup.bench.Baselines.run;

import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.config.Compression;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.TestStack;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code BENCH_ONLY=rss}: the worker's peak memory, each backup and restore in its own JVM ({@link WorkerProcess}),
 * and whether it stays flat from the smallest to the largest BENCH_SIZES.
 */
final class WorkerMemory {
    private final Benchmark bench;

    WorkerMemory(Benchmark bench) {
        this.bench = bench;
    }
    final Map<String, Map<Long, Map<String, Long>>> rss = new LinkedHashMap<>();

    void measure(long mb) throws Exception {
        String db = bench.database(mb);
        heading("Peak RSS of the worker: " + db + " (" + Report.mb(bench.sizes.get(db))
                + " MB), each job in its own JVM "
                + "(" + String.join(" ", WorkerJvm.flags()) + "), median of " + RUNS);
        // the stacks the children run in (their SSM parameters, keys and variables)
        TestStack source = TestStack.create("production", bench.bucket, db, Map.of());
        String targetDb = "bench_target";
        bench.pg.dropDatabase(targetDb);
        bench.pg.createDatabase(targetDb);
        TestStack streaming = TestStack.create("staging", bench.bucket, targetDb, Map.of("RESTORE_JOBS", "1"));
        TestStack parallel = TestStack.create("staging", bench.bucket, targetDb, Map.of("RESTORE_JOBS", "2"));
        Map<String, Map<String, List<Long>>> m = new LinkedHashMap<>();
        for (int run = 0; run < RUNS; run++) {
            Map<String, Object> b = WorkerJvm.child(with(List.of("backup", "production", bench.bucket, db), source,
                    BackupWorkerHandler.class));
            record(m, "backup (" + Compression.DEFAULT + ", the default)", b);
            String file = (String) b.get("file");
            record(m, "restore, streaming (RESTORE_JOBS=1)",
                    WorkerJvm.child(with(List.of("restore", "staging", bench.bucket, targetDb,
                            file), streaming, RestoreWorkerHandler.class)));
            bench.dropPreRestoreCopies(streaming);
            record(m, "restore, parallel (RESTORE_JOBS=2)",
                    WorkerJvm.child(with(List.of("restore", "staging", bench.bucket, targetDb,
                            file), parallel, RestoreWorkerHandler.class)));
            bench.dropPreRestoreCopies(parallel);
            bench.purge(streaming.s3, Set.of());
        }
        Report.Table t = new Report.Table("job", "archive MB", "time ms", "JVM peak RSS MB (VmHWM)",
                "JVM + tools peak MB (sampled)", "tools peak MB", "max heap MB");
        for (Map.Entry<String, Map<String, List<Long>>> e : m.entrySet()) {
            Map<String, Long> med = new LinkedHashMap<>();
            e.getValue().forEach((k, v) -> med.put(k, Report.median(v)));
            rss.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>()).put(mb, med);
            t.row(e.getKey(), Report.mb(med.get("bytes")), Report.ms(med.get("ms")), kbToMb(med.get("vmHwmKb")),
                    kbToMb(med.get("peakTreeKb")),
                    kbToMb(med.get("peakToolsKb")), med.get("heapMaxMb"));
        }
        t.print();
        bench.pg.dropDatabase(targetDb);
    }

    static void record(Map<String, Map<String, List<Long>>> m, String job, Map<String, Object> result) {
        for (String k : List.of("bytes", "ms", "vmHwmKb", "peakTreeKb", "peakToolsKb", "heapMaxMb")) {
            m.computeIfAbsent(job, x -> new LinkedHashMap<>()).computeIfAbsent(k, x -> new ArrayList<>())
                    .add(((Number) result.get(k)).longValue());
        }
    }

    void report() {
        if (SIZES.size() < 2) {
            return;
        }
        long small = SIZES.get(0);
        long large = SIZES.get(SIZES.size() - 1);
        System.out.printf("%nPeak RSS, %d MB vs %d MB:%n", large, small);
        Report.Table t = new Report.Table("job", "JVM MB at " + small, "JVM MB at " + large, "JVM ratio",
                "JVM+tools MB at " + small, "JVM+tools MB at " + large, "JVM+tools ratio");
        for (Map.Entry<String, Map<Long, Map<String, Long>>> e : rss.entrySet()) {
            Map<String, Long> a = e.getValue().get(small);
            Map<String, Long> b = e.getValue().get(large);
            double jvm = (double) b.get("vmHwmKb") / a.get("vmHwmKb");
            double tree = (double) b.get("peakTreeKb") / a.get("peakTreeKb");
            t.row(e.getKey(), kbToMb(a.get("vmHwmKb")), kbToMb(b.get("vmHwmKb")), String.format("%.2f", jvm),
                    kbToMb(a.get("peakTreeKb")), kbToMb(b.get("peakTreeKb")), String.format("%.2f", tree));
            bench.requirement("peak worker RSS within 10% at " + small + " and " + large + " MB: " + e.getKey(),
                    String.format("JVM %.2f, JVM+tools %.2f", jvm, tree), Math.abs(jvm - 1) <= 0.10
                            && Math.abs(tree - 1) <= 0.10);
        }
        t.print();
    }

    static String kbToMb(long kb) {
        return String.format("%.0f", kb / 1024.0);
    }

    /** A child's arguments: {@code args}, then the variables the template gives {@code handler}'s function. */
    static String[] with(List<String> args, TestStack stack, Class<?> handler) {
        List<String> all = new ArrayList<>(args);
        stack.environmentOf(stack.template.function(handler.getName())).forEach((k, v) -> all.add(k + "=" + v));
        return all.toArray(String[]::new);
    }
}
