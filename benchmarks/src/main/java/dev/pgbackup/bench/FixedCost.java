package dev.pgbackup.bench;

import static dev.pgbackup.bench.Benchmark.FIXED_MB;
import static dev.pgbackup.bench.Benchmark.RUNS;
import static dev.pgbackup.bench.Benchmark.collect;
import static dev.pgbackup.bench.Benchmark.heading;
import static dev.pgbackup.bench.Benchmark.millisSince;
import static dev.pgbackup.bench.Baselines.run;

import dev.pgbackup.backup.BackupService;
import dev.pgbackup.common.config.Compression;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.restore.RestoreService;
import dev.pgbackup.testsupport.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code BENCH_ONLY=fixed}: the product's fixed cost on a small database (BENCH_FIXED_MB) against the bare tools,
 * with its per-step timings.
 */
final class FixedCost {
    private final Benchmark bench;

    FixedCost(Benchmark bench) {
        this.bench = bench;
    }

    void measure() throws Exception {
        heading("Fixed cost: a small database, product vs the bare tools (" + Compression.DEFAULT
                + ", the default; warm "
                + "JVM; median of " + RUNS + ")");
        String db = "bench_small";
        long bytes = Seeder.seed(bench.pg, db, FIXED_MB * 1_000_000L + Seeder.size(bench.pg, "postgres"));
        bench.sizes.put(db, bytes);
        TestStack source = TestStack.create("production", bench.bucket, db, Map.of());
        TestStack target = TestStack.create("staging", bench.bucket, "bench_small_target", Map.of("RESTORE_JOBS", "1"));
        bench.pg.createDatabase("bench_small_target");
        PgTools.Installation dumpTool = bench.tools.pgDumpFor(bench.serverMajor,
                Compression.parse(Compression.DEFAULT));

        // the first calls in this JVM: class loading, SDK clients, Netty, the tools' --version probes
        long t0 = System.nanoTime();
        BackupService.Outcome cold = bench.backup(source);
        long coldBackup = millisSince(t0);
        t0 = System.nanoTime();
        RestoreService.Outcome coldRestoreOutcome = bench.restore(target, cold.filename());
        long coldRestore = millisSince(t0);
        bench.dropPreRestoreCopies(target);
        bench.purge(source.s3, Set.of());

        Runs warm = warmRuns(db, source, target, dumpTool);
        System.out.printf("database %s: %s MB (pg_database_size; an empty database is %s MB), archive %s MB%n", db,
                Report.mb(bytes), Report.mb(Seeder.size(bench.pg, "postgres")), Report.mb(warm.archive));
        long fixedBackup = Report.median(warm.backups) - Report.median(warm.dumpAlone);
        long fixedRestore = Report.median(warm.restores) - Report.median(warm.restoreAlone);
        new Report.Table("", "bare tool ms", "product ms", "fixed cost ms", "first call in this JVM ms")
                .row("backup (pg_dump alone -> file / product -> S3)", Report.ms(Report.median(warm.dumpAlone)),
                        Report.ms(Report.median(warm.backups)), Report.ms(fixedBackup), Report.ms(coldBackup))
                .row("restore (pg_restore -j1 alone <- file / product, streamed, swap)",
                        Report.ms(Report.median(warm.restoreAlone)), Report.ms(Report.median(warm.restores)),
                        Report.ms(fixedRestore), Report.ms(coldRestore))
                .print();
        System.out.println();
        System.out.println("The product's per-step timings (Outcome.timings(), median ms; 'outside the steps' is the "
                + "time around run() not in any step; the first call in this JVM beside it):");
        stepTable("backup", warm.backupSteps, warm.backups, cold.timings(), coldBackup);
        stepTable("restore", warm.restoreSteps, warm.restores, coldRestoreOutcome.timings(), coldRestore);
        System.out
                .printf("CREATE DATABASE alone (outside the bare pg_restore's time; inside the product's, outside its "
                        + "steps): median %d ms%n", Report.median(warm.createDatabase));
        bench.requirement("fixed cost of a backup < 500 ms (warm)", fixedBackup + " ms", fixedBackup < 500);
        bench.requirement("fixed cost of a restore < 500 ms (warm)", fixedRestore + " ms", fixedRestore < 500);
        bench.pg.dropDatabase("bench_small_target");
    }

    /** The timings of the warm calls, RUNS of each, and the product's per-step timings. */
    private static final class Runs {
        final List<Long> dumpAlone = new ArrayList<>();
        final List<Long> backups = new ArrayList<>();
        final List<Long> restoreAlone = new ArrayList<>();
        final List<Long> restores = new ArrayList<>();
        final List<Long> createDatabase = new ArrayList<>();
        final Map<String, List<Long>> backupSteps = new LinkedHashMap<>();
        final Map<String, List<Long>> restoreSteps = new LinkedHashMap<>();
        long archive;
    }

    /** RUNS backups and restores after the first (cold) ones, each beside the bare tool doing the same. */
    private Runs warmRuns(String db, TestStack source, TestStack target, PgTools.Installation dumpTool)
            throws Exception {
        Runs w = new Runs();
        for (int run = 0; run < RUNS; run++) {
            Path file = bench.work.resolve("small.dump");
            w.dumpAlone.add(bench.baselines.pgDump(dumpTool, db, List.of(Compression.parse(Compression.DEFAULT)
                    .pgDumpArgument(dumpTool.major())), file));
            Files.deleteIfExists(file);
            long t = System.nanoTime();
            BackupService.Outcome o = bench.backup(source);
            w.backups.add(millisSince(t));
            w.archive = o.bytes();
            collect(w.backupSteps, o.timings());
            bench.download(source.s3, o.filename(), file);
            PgTools.Installation restoreTool = bench.restoreToolFor(o.pgDumpVersion());
            w.restoreAlone.add(bench.baselines.pgRestore(restoreTool, file, 1));
            Files.deleteIfExists(file);
            t = System.nanoTime();
            bench.pg.createDatabase("bench_create_probe"); // what the bare restore's timing leaves out, the product's has
            w.createDatabase.add(millisSince(t));
            bench.pg.dropDatabase("bench_create_probe");
            t = System.nanoTime();
            RestoreService.Outcome r = bench.restore(target, o.filename());
            w.restores.add(millisSince(t));
            collect(w.restoreSteps, r.timings());
            bench.dropPreRestoreCopies(target);
            bench.purge(source.s3, Set.of());
        }
        return w;
    }

    static void stepTable(String what, Map<String, List<Long>> steps, List<Long> totals,
            Map<String, Long> cold, long coldTotal) {
        Report.Table t = new Report.Table(what + " step", "median ms", "first call ms");
        long sum = 0;
        for (Map.Entry<String, List<Long>> e : steps.entrySet()) {
            long m = Report.median(e.getValue());
            sum += m;
            t.row(e.getKey(), Report.ms(m), cold.containsKey(e.getKey()) ? Report.ms(cold.get(e.getKey())) : "-");
        }
        long coldSum = cold.values().stream().mapToLong(Long::longValue).sum();
        t.row("outside the steps", Report.ms(Report.median(totals) - sum), Report.ms(coldTotal - coldSum));
        t.row("total", Report.ms(Report.median(totals)), Report.ms(coldTotal));
        t.print();
        System.out.println();
    }
}
