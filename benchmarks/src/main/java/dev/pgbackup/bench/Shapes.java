package dev.pgbackup.bench;

import dev.pgbackup.backup.BackupService;
import dev.pgbackup.common.config.Compression;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.restore.RestoreService;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code BENCH_ONLY=shapes}: the overheads depend on the database's shape, so each shape ({@code BENCH_SHAPES},
 * default all of big, tables, mix, wide) is measured in one run against the tool alone and against the pipe a user
 * would write with the same compression ({@code pg_dump --compress=zstd:3 | boto3 upload_fileobj},
 * {@code boto3 download_fileobj | pg_restore --single-transaction}). Restores are of the product's archive, so only
 * the transport and the mode differ; the product restores with RESTORE_JOBS unset (its own choice, one job per
 * vCPU at most), with RESTORE_JOBS=1 (always streamed) and with RESTORE_JOBS=2 (always parallel, whatever the
 * archive holds: what a worker of two or more vCPUs gains from jobs).
 */
final class Shapes {
    static final List<String> ALL = List.of("big", "tables", "mix", "wide");
    static final List<String> CHOSEN = Arrays.stream(Benchmark.env("BENCH_SHAPES", String.join(",", ALL)).split(","))
            .map(String::trim).filter(s -> !s.isEmpty()).toList();
    static final long MIX_MB = Long.parseLong(Benchmark.env("BENCH_MIX_MB", "500"));

    private static final String ALONE = "alone";
    private static final String PIPE = "pipe";
    private static final String PRODUCT = "product";
    private static final String UNCOUNTED = "product, RECORD_ROW_COUNTS=false";
    private static final String PIPE_RESTORE = "pipe restore";
    private static final String PIPE_ANALYZED = "pipe restore, then ANALYZE";
    private static final String J1 = "pg_restore -j1";
    private static final String J2 = "pg_restore -j2";
    private static final String CHOSEN_MODE = "product, its choice";
    private static final String STREAMED = "product, streamed";
    private static final String PARALLEL = "product, 2 jobs";

    private final Benchmark b;
    private final TestPostgres pg;
    private final Report.Table backups = new Report.Table("shape", "DB MB", "archive MB", "pg_dump alone ms", "pipe ms",
            "product ms", "product / pipe", "product / alone", "pipe / alone", "uncounted ms", "uncounted / pipe");
    private final Report.Table restores = new Report.Table("shape", "pg_restore -j1 ms", "-j2 ms", "pipe ms",
            "pipe, then ANALYZE ms", "product ms (mode)", "product / pipe", "product / (pipe, then ANALYZE)",
            "product / -j1", "streamed ms", "streamed / pipe", "2 jobs ms", "2 jobs / -j1");
    private final Report.Table memory = new Report.Table("shape", "archive MB", "backup: JVM peak RSS MB (VmHWM)",
            "backup: JVM + tools MB", "restore (its choice): JVM peak RSS MB", "restore: JVM + tools MB",
            "restore mode");
    private final List<String> reasons = new ArrayList<>();
    private final AutovacuumWaits autovacuum;
    private final CpuMeter meter;
    /** CPU ms by operation, then by party (medians over the runs). */
    private final Map<String, Map<String, List<Long>>> cpu = new LinkedHashMap<>();

    Shapes(Benchmark b) {
        this.b = b;
        this.pg = b.pg;
        this.autovacuum = new AutovacuumWaits(pg);
        this.meter = new CpuMeter(CpuMeter.postmasterOf(pg.query("postgres", "show data_directory").get(0)));
    }

    /**
     * Times {@code op} (wall ms into {@code ms} under {@code key}) and meters its CPU by party, once no autovacuum
     * worker is busy with what an earlier operation left (each starts on a quiet server).
     */
    private <T> T timed(Map<String, List<Long>> ms, String key, Benchmark.Step<T> op) {
        autovacuum.waitOut();
        Map<String, Long> before = meter.snapshot();
        long t = System.nanoTime();
        T result = Benchmark.unchecked(op);
        add(ms, key, Benchmark.millisSince(t));
        CpuMeter.since(before, meter.snapshot())
                .forEach((party, v) -> cpu.computeIfAbsent(key, k -> new LinkedHashMap<>())
                        .computeIfAbsent(party, k -> new ArrayList<>()).add(v));
        return result;
    }

    void run() throws Exception {
        for (String shape : CHOSEN) {
            if (!ALL.contains(shape)) {
                throw new IllegalArgumentException("BENCH_SHAPES: unknown shape '" + shape + "' (shapes: " + ALL + ")");
            }
        }
        for (String shape : CHOSEN) {
            shape(shape);
        }
        Benchmark.heading(
                "Shapes: the product against the same-compression pipe and the tool alone (" + Compression.DEFAULT
                        + "; medians of " + Benchmark.RUNS + ")");
        System.out.println("Backups (alone: pg_dump -Fc --compress=" + Compression.DEFAULT
                + " --no-sync --file=/dev/null; pipe: the"
                + " same | boto3 upload_fileobj; product: the backup worker's service, row counts on; uncounted: the"
                + " same with RECORD_ROW_COUNTS=false):");
        backups.print();
        System.out.println();
        System.out.println("Restores of the product's archive into a new database (pg_restore -jN: from a local file; "
                + "pipe: boto3 download_fileobj | pg_restore -j1 --single-transaction, then psql -c ANALYZE as "
                + "pg_restore's documentation advises; these three into a database created and dropped outside their "
                + "time. Product: check, create, restore, ANALYZE, swap):");
        restores.print();
        System.out.println();
        System.out
                .println("Peak memory, one backup and one restore per shape, each in its own JVM with Lambda's flags ("
                        + String.join(" ", WorkerJvm.flags()) + "; JVM + tools sampled every 50 ms):");
        memory.print();
        System.out.println();
        reasons.forEach(System.out::println);
    }

    private void shape(String shape) throws Exception {
        String db = "bench_shape_" + shape;
        String target = db + "_target";
        pg.dropDatabase(db);
        long t0 = System.nanoTime();
        ShapeSeeds.seed(pg, shape, db);
        long size = Seeder.size(pg, db);
        Benchmark.heading("Shape " + shape + ": " + db + ", " + Report.mb(size) + " MB (seeded in "
                + Benchmark.millisSince(t0) / 1000 + " s; " + ShapeSeeds.describe(pg, db) + ")");
        pg.dropDatabase(target);
        pg.createDatabase(target);
        TestStack source = b.warm(TestStack.create("production", b.bucket, db, Map.of()));
        TestStack uncounted = b.warm(TestStack.create("production", b.bucket, db,
                Map.of("RECORD_ROW_COUNTS", "false")));
        TestStack chosen = b.warm(TestStack.create("staging", b.bucket, target, Map.of()));
        TestStack streamed = b.warm(TestStack.create("staging", b.bucket, target, Map.of("RESTORE_JOBS", "1")));
        TestStack parallel = b.warm(TestStack.create("staging", b.bucket, target, Map.of("RESTORE_JOBS", "2")));
        Map<String, List<Long>> ms = new LinkedHashMap<>();
        Map<String, List<Long>> backupSteps = new LinkedHashMap<>();
        Map<String, Map<String, List<Long>>> restoreSteps = new LinkedHashMap<>();
        long archive = 0;
        String mode = null;
        Path file = b.work.resolve("shape.dump");
        cpu.clear();
        for (int run = 0; run < Benchmark.RUNS; run++) {
            BackupService.Outcome o = backupsInTurn(run, ms, db, source, uncounted);
            Benchmark.collect(backupSteps, o.timings());
            archive = o.bytes();
            b.download(source.s3, o.filename(), file);
            Map<String, TestStack> products = new LinkedHashMap<>();
            products.put(CHOSEN_MODE, chosen);
            products.put(STREAMED, streamed);
            products.put(PARALLEL, parallel);
            RestoreService.Outcome chosenOutcome = restoresInTurn(run, ms, restoreSteps, file, o, products);
            Files.deleteIfExists(file);
            mode = chosenOutcome.jobs() > 1 ? chosenOutcome.jobs() + " jobs" : "streamed";
            if (run == 0) {
                reasons.add("- " + shape + ": " + chosenOutcome.details());
            }
            b.purge(source.s3, Set.of());
            System.out.printf("  run %d of %d done (load average %s)%n", run + 1, Benchmark.RUNS,
                    Benchmark.loadAverage());
        }
        peakMemory(shape, db, target, source, chosen);
        autovacuum.report();
        cpuTable();
        steps("backup", backupSteps);
        restoreSteps.forEach((label, steps) -> steps("restore, " + label, steps));
        report(shape, size, archive, mode, ms, median(restoreSteps.getOrDefault(PARALLEL, Map.of()), "pg_restore"),
                Report.medianLess(ms.getOrDefault(CHOSEN_MODE, List.of()),
                        restoreSteps.getOrDefault(CHOSEN_MODE, Map.of()).getOrDefault("analyze", List.of())));
        pg.dropDatabase(target);
        pg.dropDatabase(db);
    }

    /**
     * pg_restore -j1 and -j2 from {@code file}, the pipe and the product in each of its {@code products} modes, one
     * restore each of the backup {@code o}, in turn; returns the product's restore in its own choice of mode.
     */
    private RestoreService.Outcome restoresInTurn(int run, Map<String, List<Long>> ms,
            Map<String, Map<String, List<Long>>> restoreSteps, Path file, BackupService.Outcome o,
            Map<String, TestStack> products) {
        PgTools.Installation restoreTool = b.restoreToolFor(o.pgDumpVersion());
        // the baselines count their own time: the scratch database they create and drop around it is not theirs
        List<Runnable> order = new ArrayList<>(List.of(
                () -> add(ms, J1, timed(new HashMap<>(), J1, () -> b.baselines.pgRestore(restoreTool, file, 1))),
                () -> add(ms, J2, timed(new HashMap<>(), J2, () -> b.baselines.pgRestore(restoreTool, file, 2))),
                () -> {
                    Baselines.PipeRestore p = timed(new HashMap<>(), PIPE_ANALYZED,
                            () -> b.baselines.pipeRestore(restoreTool, o.filename()));
                    add(ms, PIPE_RESTORE, p.restoreMs());
                    add(ms, PIPE_ANALYZED, p.restoreMs() + p.analyzeMs());
                }));
        RestoreService.Outcome[] chosen = new RestoreService.Outcome[1];
        products.forEach((label, stack) -> order.add(() -> {
            RestoreService.Outcome r = timed(ms, label, () -> b.restore(stack, o.filename()));
            Benchmark.collect(restoreSteps.computeIfAbsent(label, k -> new LinkedHashMap<>()), r.timings());
            if (label.equals(CHOSEN_MODE)) {
                chosen[0] = r;
            }
            b.dropPreRestoreCopies(stack);
        }));
        // each starts a round in turn, so that none always runs on the warmest cache
        for (int i = 0; i < order.size(); i++) {
            order.get((i + run) % order.size()).run();
        }
        return chosen[0];
    }

    /**
     * The tool alone, the pipe, the product and the product without row counts ({@code uncounted}), one backup each;
     * returns the product's (counted, as configured by default).
     */
    private BackupService.Outcome backupsInTurn(int run, Map<String, List<Long>> ms, String db, TestStack source,
            TestStack uncounted) {
        Compression def = Compression.parse(Compression.DEFAULT);
        PgTools.Installation dumpTool = b.tools.pgDumpFor(b.serverMajor, def);
        String compress = def.pgDumpArgument(dumpTool.major());
        BackupService.Outcome[] made = new BackupService.Outcome[1];
        List<Runnable> order = new ArrayList<>(List.of(
                () -> timed(ms, ALONE, () -> b.baselines.pgDump(dumpTool, db, List.of(compress, "--no-sync"),
                        Path.of("/dev/null"))),
                () -> timed(ms, PIPE,
                        () -> b.baselines.pipeBackup(dumpTool, db, "user-pipe/" + UUID.randomUUID() + ".dump",
                                compress)),
                () -> made[0] = timed(ms, PRODUCT, () -> b.backup(source)),
                () -> timed(ms, UNCOUNTED, () -> b.backup(uncounted))));
        // each goes first in turn, so that none always runs on the warmest cache; every other run backwards, so that
        // the uncounted backup does not always follow the counted one, on the cache that one just warmed
        for (int i = 0; i < order.size(); i++) {
            order.get(Math.floorMod(run % 2 == 0 ? run + i : run - i, order.size())).run();
        }
        return made[0];
    }

    /**
     * The shape's rows in the summary tables, and the requirements it is held to: the issue's, and beside them the
     * same comparisons with the same work on both sides ({@code parallelStep}: the 2-job restore's pg_restore step;
     * {@code withoutAnalyze}: the chosen restore less its ANALYZE, run by run; -1 when not measured).
     */
    private void report(String shape, long size, long archive, String mode, Map<String, List<Long>> ms,
            long parallelStep, long withoutAnalyze) {
        long alone = median(ms, ALONE);
        long pipe = median(ms, PIPE);
        long product = median(ms, PRODUCT);
        long uncounted = median(ms, UNCOUNTED);
        backups.row(shape, Report.mb(size), Report.mb(archive), Report.ms(alone), Report.ms(pipe), Report.ms(product),
                Report.ratio(product, pipe), Report.ratio(product, alone), Report.ratio(pipe, alone),
                Report.ms(uncounted), Report.ratio(uncounted, pipe));
        long j1 = median(ms, J1);
        long pipeRestore = median(ms, PIPE_RESTORE);
        long chosenMs = median(ms, CHOSEN_MODE);
        long streamedMs = median(ms, STREAMED);
        long parallelMs = median(ms, PARALLEL);
        long analyzed = median(ms, PIPE_ANALYZED);
        restores.row(shape, Report.ms(j1), Report.ms(median(ms, J2)), Report.ms(pipeRestore), Report.ms(analyzed),
                Report.ms(chosenMs) + " (" + mode + ")", Report.ratio(chosenMs, pipeRestore),
                Report.ratio(chosenMs, analyzed), Report.ratio(chosenMs, j1),
                Report.ms(streamedMs), Report.ratio(streamedMs, pipeRestore), Report.ms(parallelMs),
                Report.ratio(parallelMs, j1));
        b.requirement("backup <= 1.05x the same-compression pipe (" + shape + ")", Report.ratio(product, pipe),
                product <= 1.05 * pipe);
        // the product also counts every table's rows in the dump's snapshot, for drills; the pipe counts nothing
        b.requirement("  row counts on neither: backup with RECORD_ROW_COUNTS=false <= 1.05x the pipe (" + shape + ")",
                Report.ratio(uncounted, pipe), uncounted <= 1.05 * pipe);
        b.requirement("chosen restore <= 1.0x the pipe (" + shape + ", " + mode + ")",
                Report.ratio(chosenMs, pipeRestore), chosenMs <= pipeRestore);
        // the product also runs ANALYZE, which pg_restore's documentation asks for and the bare pipe leaves out
        b.requirement("  ANALYZE on both sides: chosen restore <= the pipe, then ANALYZE (" + shape + ")",
                Report.ratio(chosenMs, analyzed), chosenMs <= analyzed);
        if (withoutAnalyze >= 0) {
            b.requirement("  ANALYZE on neither: chosen restore less its analyze step <= the pipe (" + shape + ")",
                    Report.ratio(withoutAnalyze, pipeRestore), withoutAnalyze <= pipeRestore);
        }
        if (shape.equals("tables") || shape.equals("mix")) {
            // the issue asks for a parallel restore faster than one job: the product's with 2 jobs, download included
            b.requirement("product's 2-job restore faster than pg_restore -j1 from a file (" + shape + ")",
                    Report.ratio(parallelMs, j1), parallelMs < j1);
            if (parallelStep >= 0) {
                // both from a local file, without the download, ANALYZE and swap around the product's
                b.requirement("  local file on both sides: its 2-job pg_restore step faster than -j1 (" + shape
                        + ")", Report.ratio(parallelStep, j1), parallelStep < j1);
            }
        }
    }

    /** One backup and one restore (RESTORE_JOBS unset) of this shape, each in a JVM of its own, for peak memory. */
    private void peakMemory(String shape, String db, String target, TestStack source, TestStack chosen)
            throws Exception {
        // the children need their stack's variables, as the worker functions get them from template.yaml
        Map<String, Object> backup = WorkerJvm.child(WorkerMemory.with(List.of("backup", "production", b.bucket, db),
                source, dev.pgbackup.backup.BackupWorkerHandler.class));
        Map<String, Object> restore = WorkerJvm.child(WorkerMemory.with(List.of("restore", "staging", b.bucket, target,
                (String) backup.get("file")), chosen, dev.pgbackup.restore.RestoreWorkerHandler.class));
        b.dropPreRestoreCopies(chosen);
        b.purge(chosen.s3, Set.of());
        int jobs = ((Number) restore.get("jobs")).intValue();
        memory.row(shape, Report.mb(((Number) backup.get("bytes")).longValue()), mb(backup, "vmHwmKb"),
                mb(backup, "peakTreeKb"), mb(restore, "vmHwmKb"), mb(restore, "peakTreeKb"),
                jobs > 1 ? jobs + " jobs" : "streamed");
    }

    private static String mb(Map<String, Object> result, String kbKey) {
        return String.format("%.0f", ((Number) result.get(kbKey)).longValue() / 1024.0);
    }

    /** CPU ms by party for each operation of this shape (medians): where the work went, whatever the load. */
    private void cpuTable() {
        Report.Table t = new Report.Table("operation (CPU ms, median)", "this JVM", "its children (tools, pipe)",
                "moto",
                "PostgreSQL server", "total");
        cpu.forEach((op, parties) -> t.row(op, Report.ms(Report.median(parties.get("jvm"))),
                Report.ms(Report.median(parties.get("tools"))), Report.ms(Report.median(parties.get("moto"))),
                Report.ms(Report.median(parties.get("server"))), Report.ms(Report.median(parties.get("total")))));
        t.print();
    }

    private static void steps(String what, Map<String, List<Long>> steps) {
        StringBuilder line = new StringBuilder(what + " steps (median ms):");
        steps.forEach((step, times) -> line.append(' ').append(step).append(' ').append(Report.median(times)));
        System.out.println(line);
    }

    private static long median(Map<String, List<Long>> ms, String key) {
        return Report.median(ms.getOrDefault(key, List.of()));
    }

    private static void add(Map<String, List<Long>> m, String k, long v) {
        m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
}
