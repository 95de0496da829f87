package dev.pgbackup.bench;

import static dev.pgbackup.bench.Benchmark.COMPRESSIONS;
import static dev.pgbackup.bench.Benchmark.RUNS;
import static dev.pgbackup.bench.Benchmark.SIZES;
import static dev.pgbackup.bench.Benchmark.heading;
import static dev.pgbackup.bench.Benchmark.millisSince;
import static dev.pgbackup.bench.Baselines.run;
import static dev.pgbackup.bench.Benchmark.unchecked;

import dev.pgbackup.backup.BackupService;
import dev.pgbackup.common.config.Compression;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.testsupport.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code BENCH_ONLY=compression}: backups through the product with each BACKUP_COMPRESSION against
 * {@code pg_dump -Fc --compress=<same>} alone to a local file, and the compression the numbers recommend.
 */
final class CompressionChoice {
    private final Benchmark bench;

    CompressionChoice(Benchmark bench) {
        this.bench = bench;
    }

    void measure(long mb) throws Exception {
        String db = bench.database(mb);
        heading("Compression: " + db + " (" + Report.mb(bench.sizes.get(db)) + " MB), backup through the product vs "
                + "pg_dump alone to a local file, same pg_dump, median of " + RUNS);
        Map<String, TestStack> stacks = new LinkedHashMap<>();
        for (String c : COMPRESSIONS) {
            stacks.put(c,
                    bench.warm(TestStack.create("production", bench.bucket, db, Map.of("BACKUP_COMPRESSION", c))));
        }
        Timings m = new Timings();
        for (int run = 0; run < RUNS; run++) {
            for (String c : COMPRESSIONS) {
                Compression compression = Compression.parse(c);
                PgTools.Installation dumpTool = bench.tools.pgDumpFor(bench.serverMajor, compression);
                m.versions.put(c, dumpTool.version());
                Path file = bench.work.resolve("compression.dump");
                Runnable bare = () -> {
                    m.alone.computeIfAbsent(c, k -> new ArrayList<>())
                            .add(unchecked(() -> bench.baselines.pgDump(dumpTool, db,
                                    List.of(compression.pgDumpArgument(dumpTool.major())), file)));
                    m.aloneBytes.computeIfAbsent(c, k -> new ArrayList<>()).add(unchecked(() -> Files.size(file)));
                    unchecked(() -> Files.deleteIfExists(file));
                };
                Runnable viaProduct = () -> {
                    long t = System.nanoTime();
                    BackupService.Outcome o = bench.backup(stacks.get(c));
                    m.product.computeIfAbsent(c, k -> new ArrayList<>()).add(millisSince(t));
                    m.productBytes.computeIfAbsent(c, k -> new ArrayList<>()).add(o.bytes());
                    bench.purge(stacks.get(c).s3, Set.of());
                };
                // alternate which goes first, so that neither always runs on a warmer cache
                if (run % 2 == 0) {
                    bare.run();
                    viaProduct.run();
                } else {
                    viaProduct.run();
                    bare.run();
                }
            }
            System.out.printf("  run %d of %d done%n", run + 1, RUNS);
        }
        report(db, mb, m);
    }

    /** Per BACKUP_COMPRESSION: pg_dump alone and the product, time and size of each run; the pg_dump used. */
    private static final class Timings {
        final Map<String, List<Long>> alone = new LinkedHashMap<>();
        final Map<String, List<Long>> aloneBytes = new LinkedHashMap<>();
        final Map<String, List<Long>> product = new LinkedHashMap<>();
        final Map<String, List<Long>> productBytes = new LinkedHashMap<>();
        final Map<String, String> versions = new LinkedHashMap<>();
    }

    /** Each compression against gzip:6 (time and size), remembered for {@link #recommend()}, and the requirement. */
    private void report(String db, long mb, Timings m) {
        String base = "gzip:6";
        long gzipMs = m.product.containsKey(base) ? Report.median(m.product.get(base)) : -1;
        long gzipBytes = m.productBytes.containsKey(base) ? Report.median(m.productBytes.get(base)) : -1;
        Report.Table t = new Report.Table("BACKUP_COMPRESSION", "pg_dump", "pg_dump alone ms", "alone MB",
                "product ms", "product MB", "product/alone", "MB/s of database", "gzip:6 time / this",
                "size / gzip:6", "2.5x faster, no larger");
        for (String c : COMPRESSIONS) {
            long p = Report.median(m.product.get(c));
            long pb = Report.median(m.productBytes.get(c));
            boolean meets = gzipMs > 0 && gzipMs >= 2.5 * p && pb <= gzipBytes;
            t.row(c + (c.equals(Compression.DEFAULT) ? " (default)" : ""), m.versions.get(c),
                    Report.ms(Report.median(m.alone.get(c))), Report.mb(Report.median(m.aloneBytes.get(c))),
                    Report.ms(p), Report.mb(pb), Report.ratio(p, Report.median(m.alone.get(c))),
                    String.format("%.1f", bench.sizes.get(db) / 1e3 / p),
                    gzipMs > 0 ? String.format("%.2fx", (double) gzipMs / p) : "-",
                    gzipBytes > 0 ? String.format("%.2f", (double) pb / gzipBytes) : "-",
                    c.equals(base) ? "(baseline)" : meets ? "yes" : "no");
            compressionResults.computeIfAbsent(c, k -> new LinkedHashMap<>()).put(mb,
                    new long[] {p, pb, meets ? 1 : 0});
        }
        t.print();
        if (gzipMs > 0 && m.product.containsKey(Compression.DEFAULT)) {
            long d = Report.median(m.product.get(Compression.DEFAULT));
            long db2 = Report.median(m.productBytes.get(Compression.DEFAULT));
            bench.requirement(
                    "default (" + Compression.DEFAULT + ") backup >= 2.5x faster than gzip:6, archive no larger ("
                            + db + ")",
                    String.format("%.2fx faster, %.2f of the size", (double) gzipMs / d,
                            (double) db2 / gzipBytes),
                    gzipMs >= 2.5 * d && db2 <= gzipBytes);
        }
    }

    final Map<String, Map<Long, long[]>> compressionResults = new LinkedHashMap<>();

    void recommend() {
        if (compressionResults.isEmpty() || !compressionResults.containsKey("gzip:6")) {
            return;
        }
        long largest = SIZES.get(SIZES.size() - 1);
        String best = null;
        String smallest = null;
        for (Map.Entry<String, Map<Long, long[]>> e : compressionResults.entrySet()) {
            boolean all = e.getValue().values().stream().allMatch(v -> v[2] == 1);
            if (!all) {
                continue;
            }
            long[] at = e.getValue().get(largest);
            if (best == null || at[0] < compressionResults.get(best).get(largest)[0]) {
                best = e.getKey();
            }
            if (smallest == null || at[1] < compressionResults.get(smallest).get(largest)[1]) {
                smallest = e.getKey();
            }
        }
        System.out.println();
        if (best == null) {
            System.out.println("Compression: no setting is 2.5x faster than gzip:6 with an archive no larger at every "
                    + "size measured.");
        } else {
            System.out.printf("Compression: meeting '2.5x faster than gzip:6, archive no larger' at every size: %s; "
                    + "fastest at %d MB: %s, smallest archive among those: %s (current default %s).%n",
                    compressionResults.entrySet().stream().filter(e -> e.getValue().values().stream()
                            .allMatch(v -> v[2] == 1)).map(Map.Entry::getKey).toList(),
                    largest, best, smallest,
                    Compression.DEFAULT);
        }
    }
}
