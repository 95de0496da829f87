package dev.pgbackup.bench;

import static dev.pgbackup.bench.Benchmark.RUNS;
import static dev.pgbackup.bench.Benchmark.collect;
import static dev.pgbackup.bench.Benchmark.heading;
import static dev.pgbackup.bench.Benchmark.millisSince;
import static dev.pgbackup.bench.Baselines.run;

import dev.pgbackup.backup.BackupService;
import dev.pgbackup.common.config.Compression;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.restore.RestoreService;
import dev.pgbackup.testsupport.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code BENCH_ONLY=pipe}: the product against the pipe a user would build ({@code pg_dump -Fc | boto3
 * upload_fileobj}, {@code boto3 download_fileobj | pg_restore}) and against the bare tools on local files, restores
 * in the streaming and parallel modes.
 */
final class PipeComparison {
    private final Benchmark bench;

    PipeComparison(Benchmark bench) {
        this.bench = bench;
    }

    void measure(long mb) throws Exception {
        String db = bench.database(mb);
        heading("Against the pipe a user would build: " + db + " (" + Report.mb(bench.sizes.get(db))
                + " MB), median of "
                + RUNS);
        TestStack source = bench.warm(TestStack.create("production", bench.bucket, db, Map.of()));
        String targetDb = "bench_target";
        bench.pg.dropDatabase(targetDb);
        bench.pg.createDatabase(targetDb);
        TestStack streaming = bench
                .warm(TestStack.create("staging", bench.bucket, targetDb, Map.of("RESTORE_JOBS", "1")));
        TestStack parallel = bench
                .warm(TestStack.create("staging", bench.bucket, targetDb, Map.of("RESTORE_JOBS", "2")));
        BackupService.Outcome last = backups(db, source);
        restores(db, source, streaming, parallel, last);
        bench.pg.dropDatabase(targetDb);
    }

    /** Each way of backing up, RUNS times; returns the product's last backup, which the restores then read. */
    private BackupService.Outcome backups(String db, TestStack source) throws Exception {
        Path file = bench.work.resolve("pipe.dump");
        Compression def = Compression.parse(Compression.DEFAULT);
        PgTools.Installation dumpTool = bench.tools.pgDumpFor(bench.serverMajor, def);
        Map<String, List<Long>> ms = new LinkedHashMap<>();
        Map<String, List<Long>> bytes = new LinkedHashMap<>();
        BackupService.Outcome last = null;
        String gzipAlone = "pg_dump -Fc (default: gzip) alone -> local file";
        String zstdAlone = "pg_dump -Fc --compress=" + def + " alone -> local file";
        String pipe = "pipe: pg_dump -Fc | boto3 upload_fileobj -> moto";
        String product = "product backup (" + def + ", the default) -> moto";
        for (int run = 0; run < RUNS; run++) {
            add(ms, gzipAlone, bench.baselines.pgDump(dumpTool, db, List.of(), file));
            add(bytes, gzipAlone, Files.size(file));
            Files.deleteIfExists(file);
            add(ms, zstdAlone,
                    bench.baselines.pgDump(dumpTool, db, List.of(def.pgDumpArgument(dumpTool.major())), file));
            add(bytes, zstdAlone, Files.size(file));
            Files.deleteIfExists(file);
            String key = "user-pipe/" + UUID.randomUUID() + ".dump";
            add(ms, pipe, bench.baselines.pipeBackup(dumpTool, db, key));
            add(bytes, pipe, source.s3.headObject(b -> b.bucket(bench.bucket).key(key)).contentLength());
            long t = System.nanoTime();
            BackupService.Outcome o = bench.backup(source);
            add(ms, product, millisSince(t));
            add(bytes, product, o.bytes());
            last = o;
            String keep = o.filename();
            bench.purge(source.s3,
                    Set.of(keep, new StateKeys(TestStack.APP, "production").manifest(keep, BackupClass.ON_DEMAND)));
        }
        System.out.printf("backups (pg_dump %s):%n", dumpTool.version());
        Report.Table bt = new Report.Table("backup", "median ms", "archive MB", "MB/s of database", "product / this");
        long productMs = Report.median(ms.get(product));
        for (String k : ms.keySet()) {
            long m = Report.median(ms.get(k));
            bt.row(k, Report.ms(m), Report.mb(Report.median(bytes.get(k))),
                    String.format("%.1f", bench.sizes.get(db) / 1e3 / m),
                    k.equals(product) ? "" : Report.ratio(productMs, m));
        }
        bt.print();
        long pipeMs = Report.median(ms.get(pipe));
        bench.requirement("backup <= 0.9x the pipe (" + db + ")", Report.ratio(productMs, pipeMs),
                productMs <= 0.9 * pipeMs);
        return last;
    }

    /** Restores of all of the product's archive ({@code last}), so that only the transport and the mode differ. */
    private void restores(String db, TestStack source, TestStack streaming, TestStack parallel,
            BackupService.Outcome last) throws Exception {
        String kept = last.filename();
        String pgDumpVersion = last.pgDumpVersion();
        Path file = bench.work.resolve("pipe.dump");
        bench.download(source.s3, kept, file);
        long archive = Files.size(file);
        PgTools.Installation restoreTool = bench.restoreToolFor(pgDumpVersion);
        Map<String, List<Long>> rms = new LinkedHashMap<>();
        String alone1 = "pg_restore -j 1 --single-transaction alone <- local file";
        String alone2 = "pg_restore -j 2 alone <- local file";
        String pipeR = "pipe: boto3 download_fileobj | pg_restore -j 1 --single-transaction";
        String stream = "product, streaming (RESTORE_JOBS=1): S3 -> pg_restore, swap";
        String par = "product, parallel (RESTORE_JOBS=2): download, pg_restore -j 2, swap";
        Map<String, Map<String, List<Long>>> steps = new LinkedHashMap<>();
        for (int run = 0; run < RUNS; run++) {
            add(rms, alone1, bench.baselines.pgRestore(restoreTool, file, 1));
            add(rms, alone2, bench.baselines.pgRestore(restoreTool, file, 2));
            add(rms, pipeR, bench.baselines.pipeRestore(restoreTool, kept).restoreMs());
            for (TestStack s : List.of(streaming, parallel)) {
                String label = s == streaming ? stream : par;
                long t = System.nanoTime();
                RestoreService.Outcome r = bench.restore(s, kept);
                add(rms, label, millisSince(t));
                collect(steps.computeIfAbsent(label, k -> new LinkedHashMap<>()), r.timings());
                if (r.jobs() != (s == streaming ? 1 : 2)) {
                    System.out.printf("  note: %s ran with %d job(s)%n", label, r.jobs());
                }
                bench.dropPreRestoreCopies(s);
            }
        }
        Files.deleteIfExists(file);
        bench.purge(source.s3, Set.of());
        System.out
                .printf("%nrestores of the product's archive (%s MB, written by pg_dump %s; pg_restore %s) into a new "
                        + "database:%n", Report.mb(archive), pgDumpVersion, restoreTool.version());
        long a1 = Report.median(rms.get(alone1));
        long a2 = Report.median(rms.get(alone2));
        long pr = Report.median(rms.get(pipeR));
        printRestores(db, rms, steps, pr, a1, a2);
        long s1 = Report.median(rms.get(stream));
        long p2 = Report.median(rms.get(par));
        bench.requirement("streaming restore <= 1.0x the pipe (" + db + ")", Report.ratio(s1, pr), s1 <= pr);
        bench.requirement("parallel restore (2 jobs) vs pg_restore -j 1 alone (" + db + ", 2 cores)",
                Report.ratio(p2, a1),
                p2 < a1);
    }

    /** Each restore against the pipe ({@code pr}) and the tool alone ({@code a1}, {@code a2}), with the product's steps. */
    private void printRestores(String db, Map<String, List<Long>> rms, Map<String, Map<String, List<Long>>> steps,
            long pr, long a1, long a2) {
        Report.Table rt = new Report.Table("restore", "median ms", "MB/s of database", "/ pipe",
                "/ pg_restore -j1 alone",
                "/ pg_restore -j2 alone", "product steps (median ms)");
        for (String k : rms.keySet()) {
            long m = Report.median(rms.get(k));
            String stepText = steps.containsKey(k) ? steps.get(k).entrySet().stream()
                    .map(e -> e.getKey() + " " + Report.median(e.getValue())).reduce((x, y) -> x + ", " + y).orElse("")
                    : "";
            rt.row(k, Report.ms(m), String.format("%.1f", bench.sizes.get(db) / 1e3 / m), Report.ratio(m, pr),
                    Report.ratio(m, a1), Report.ratio(m, a2), stepText);
        }
        rt.print();
    }

    static void add(Map<String, List<Long>> m, String k, long v) {
        m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
}
