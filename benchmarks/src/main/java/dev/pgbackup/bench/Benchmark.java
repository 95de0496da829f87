package dev.pgbackup.bench;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.backup.BackupService;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.config.Compression;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.list.ListBackupsHandler;
import dev.pgbackup.restore.RestoreService;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The product against what it replaces, in one run on one embedded PostgreSQL 15 and one moto (S3 + SSM over
 * HTTP on this machine), on data of realistic entropy ({@link Seeder}); medians of {@code BENCH_RUNS}.
 *
 * <ol>
 *   <li>{@code compression}: backups through the product ({@link BackupService} of a stack with each
 *       BACKUP_COMPRESSION) against {@code pg_dump -Fc --compress=<same>} alone to a local file, same pg_dump;</li>
 *   <li>{@code pipe}: against the pipe a user would build ({@code pg_dump -Fc | boto3 upload_fileobj},
 *       {@code boto3 download_fileobj | pg_restore}) and against the bare tools on local files, restores in the
 *       product's streaming (RESTORE_JOBS=1) and parallel (RESTORE_JOBS=2) modes;</li>
 *   <li>{@code fixed}: the product's fixed cost on a small database, with its per-step timings;</li>
 *   <li>{@code rss}: the worker's peak memory, each backup/restore in its own JVM ({@link WorkerProcess});</li>
 *   <li>{@code list}: {@code GET /api/setting/backups} over 2,000 backups ({@link ListBackupsHandler});</li>
 *   <li>{@code download}: whether the parallel download fetches parts at once (through {@link FaultProxy});</li>
 *   <li>{@code tables}: the fixed cost per table, on a database of many small tables ({@link ManyTables});</li>
 *   <li>{@code shapes}: per database shape (one big indexed table, thousands of small tables, the realistic mix, a
 *       wide table of large text/bytea/jsonb), the product against the same-compression pipe and the tool alone,
 *       with ratios, CPU by party and peak memory ({@link Shapes}).</li>
 * </ol>
 * Settings: {@code BENCH_SIZES} (MB of pg_database_size, default 250,1000), {@code BENCH_RUNS} (3),
 * {@code BENCH_ONLY} (comma-separated parts), {@code BENCH_COMPRESSIONS}, {@code BENCH_FIXED_MB} (5),
 * {@code BENCH_LIST_BACKUPS} (2000), {@code BENCH_WORKER_MEMORY_MB} (2048: the worker JVM's memory, see
 * {@link #workerJvmFlags()}), {@code BENCH_WORKER_JVM_OPTS} (more flags for the worker JVM, e.g. -Xlog:gc; its
 * output is then shown).
 */
public final class Benchmark {
    static final List<String> PARTS = List.of("fixed", "compression", "pipe", "rss", "list", "download", "tables",
            "shapes");
    static final int RUNS = Integer.parseInt(env("BENCH_RUNS", "3"));
    static final List<Long> SIZES = Arrays.stream(env("BENCH_SIZES", "250,1000").split(","))
            .map(String::trim).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
    static final Set<String> ONLY = new LinkedHashSet<>(Arrays.stream(env("BENCH_ONLY", String.join(",", PARTS))
            .split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
    static final List<String> COMPRESSIONS = Arrays.stream(
            env("BENCH_COMPRESSIONS", "zstd:1,zstd:3,zstd:6,lz4:1,gzip:1,gzip:6,none").split(","))
            .map(String::trim).toList();
    static final long FIXED_MB = Long.parseLong(env("BENCH_FIXED_MB", "5"));
    static final int LIST_BACKUPS = Integer.parseInt(env("BENCH_LIST_BACKUPS", "2000"));
    static final String WORKER_MEMORY_MB = env("BENCH_WORKER_MEMORY_MB", "2048");
    static final Duration LONG = Duration.ofMinutes(60);

    final TestPostgres pg;
    final PgTools tools;
    final int serverMajor;
    final String bucket;
    final Path work;
    private final Path python;
    private final Path pipeScript;
    private final Map<Long, String> databases = new LinkedHashMap<>();
    private final Map<String, Long> sizes = new HashMap<>();
    private final List<String[]> requirements = new ArrayList<>();
    private final Map<String, Map<Long, Map<String, Long>>> rss = new LinkedHashMap<>();
    private int sequence;

    private Benchmark() throws IOException {
        for (String part : ONLY) {
            if (!PARTS.contains(part)) {
                throw new IllegalArgumentException("BENCH_ONLY: unknown part '" + part + "' (parts: " + PARTS + ")");
            }
        }
        pg = TestPostgres.get();
        MotoServer.get();
        tools = new PgTools(RepoPaths.pgToolsDir());
        serverMajor = pg.serverMajor();
        bucket = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        work = Files.createTempDirectory("pgbackup-bench-");
        python = RepoPaths.root().resolve(".venv/bin/python");
        pipeScript = Path.of(System.getProperty("bench.pipe", RepoPaths.root().resolve("benchmarks/pipe.py").toString()));
    }

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        System.out.printf("pg-backup benchmark %s: BENCH_SIZES=%s BENCH_RUNS=%d BENCH_ONLY=%s%n", Instant.now(),
                SIZES, RUNS, ONLY);
        System.out.printf("machine: %d cores, load average at start %s; java %s%n",
                Runtime.getRuntime().availableProcessors(), loadAverage(), System.getProperty("java.version"));
        Benchmark b = new Benchmark();
        System.out.printf("server: embedded PostgreSQL %s; tools: the layer's pg_dump/pg_restore %s; S3/SSM: moto %s%n",
                b.pg.query("postgres", "show server_version").get(0),
                b.tools.installations("pg_dump").stream().map(PgTools.Installation::version).toList(),
                MotoServer.get().endpoint());
        try {
            if (ONLY.contains("fixed")) {
                b.fixedCost();
            }
            if (ONLY.contains("compression")) {
                for (long mb : SIZES) {
                    b.compression(mb);
                }
            }
            if (ONLY.contains("pipe")) {
                for (long mb : SIZES) {
                    b.pipe(mb);
                }
            }
            if (ONLY.contains("rss")) {
                for (long mb : SIZES) {
                    b.rss(mb);
                }
                b.rssReport();
            }
            if (ONLY.contains("list")) {
                b.listing();
            }
            if (ONLY.contains("download")) {
                b.parallelDownload();
            }
            if (ONLY.contains("tables")) {
                new ManyTables(b).run();
            }
            if (ONLY.contains("shapes")) {
                new Shapes(b).run();
            }
            b.summary();
        } finally {
            System.out.printf("%nload average at end %s; total %.1f min%n", loadAverage(),
                    (System.nanoTime() - start) / 60e9);
            b.cleanUp();
        }
        System.exit(0);
    }

    // ------------------------------------------------------------------------------------------ 3. fixed cost

    private void fixedCost() throws Exception {
        heading("Fixed cost: a small database, product vs the bare tools (" + Compression.DEFAULT + ", the default; warm "
                + "JVM; median of " + RUNS + ")");
        String db = "bench_small";
        long bytes = Seeder.seed(pg, db, FIXED_MB * 1_000_000L + Seeder.size(pg, "postgres"));
        sizes.put(db, bytes);
        TestStack source = TestStack.create("production", bucket, db, Map.of());
        TestStack target = TestStack.create("staging", bucket, "bench_small_target", Map.of("RESTORE_JOBS", "1"));
        pg.createDatabase("bench_small_target");
        PgTools.Installation dumpTool = tools.pgDumpFor(serverMajor, Compression.parse(Compression.DEFAULT));

        // the first calls in this JVM: class loading, SDK clients, Netty, the tools' --version probes
        long t0 = System.nanoTime();
        BackupService.Outcome cold = backup(source);
        long coldBackup = millisSince(t0);
        t0 = System.nanoTime();
        RestoreService.Outcome coldRestoreOutcome = restore(target, cold.filename());
        long coldRestore = millisSince(t0);
        dropPreRestoreCopies(target);
        purge(source.s3, Set.of());

        List<Long> dumpAlone = new ArrayList<>();
        List<Long> backups = new ArrayList<>();
        List<Long> restoreAlone = new ArrayList<>();
        List<Long> restores = new ArrayList<>();
        List<Long> createDatabase = new ArrayList<>();
        Map<String, List<Long>> backupSteps = new LinkedHashMap<>();
        Map<String, List<Long>> restoreSteps = new LinkedHashMap<>();
        long archive = 0;
        for (int run = 0; run < RUNS; run++) {
            Path file = work.resolve("small.dump");
            dumpAlone.add(pgDump(dumpTool, db, List.of(Compression.parse(Compression.DEFAULT)
                    .pgDumpArgument(dumpTool.major())), file));
            Files.deleteIfExists(file);
            long t = System.nanoTime();
            BackupService.Outcome o = backup(source);
            backups.add(millisSince(t));
            archive = o.bytes();
            collect(backupSteps, o.timings());
            download(source.s3, o.filename(), file);
            PgTools.Installation restoreTool = restoreToolFor(o.pgDumpVersion());
            restoreAlone.add(pgRestore(restoreTool, file, 1));
            Files.deleteIfExists(file);
            t = System.nanoTime();
            pg.createDatabase("bench_create_probe"); // what the bare restore's timing leaves out, the product's has
            createDatabase.add(millisSince(t));
            pg.dropDatabase("bench_create_probe");
            t = System.nanoTime();
            RestoreService.Outcome r = restore(target, o.filename());
            restores.add(millisSince(t));
            collect(restoreSteps, r.timings());
            dropPreRestoreCopies(target);
            purge(source.s3, Set.of());
        }
        System.out.printf("database %s: %s MB (pg_database_size; an empty database is %s MB), archive %s MB%n", db,
                Report.mb(bytes), Report.mb(Seeder.size(pg, "postgres")), Report.mb(archive));
        long fixedBackup = Report.median(backups) - Report.median(dumpAlone);
        long fixedRestore = Report.median(restores) - Report.median(restoreAlone);
        new Report.Table("", "bare tool ms", "product ms", "fixed cost ms", "first call in this JVM ms")
                .row("backup (pg_dump alone -> file / product -> S3)", Report.ms(Report.median(dumpAlone)),
                        Report.ms(Report.median(backups)), Report.ms(fixedBackup), Report.ms(coldBackup))
                .row("restore (pg_restore -j1 alone <- file / product, streamed, swap)",
                        Report.ms(Report.median(restoreAlone)), Report.ms(Report.median(restores)),
                        Report.ms(fixedRestore), Report.ms(coldRestore))
                .print();
        System.out.println();
        System.out.println("The product's per-step timings (Outcome.timings(), median ms; 'outside the steps' is the "
                + "time around run() not in any step; the first call in this JVM beside it):");
        stepTable("backup", backupSteps, backups, cold.timings(), coldBackup);
        stepTable("restore", restoreSteps, restores, coldRestoreOutcome.timings(), coldRestore);
        System.out.printf("CREATE DATABASE alone (outside the bare pg_restore's time; inside the product's, outside its "
                + "steps): median %d ms%n", Report.median(createDatabase));
        requirement("fixed cost of a backup < 500 ms (warm)", fixedBackup + " ms", fixedBackup < 500);
        requirement("fixed cost of a restore < 500 ms (warm)", fixedRestore + " ms", fixedRestore < 500);
        pg.dropDatabase("bench_small_target");
    }

    static void collect(Map<String, List<Long>> steps, Map<String, Long> timings) {
        timings.forEach((k, v) -> steps.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
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

    // ------------------------------------------------------------------------------------------ 1. compression

    private void compression(long mb) throws Exception {
        String db = database(mb);
        heading("Compression: " + db + " (" + Report.mb(sizes.get(db)) + " MB), backup through the product vs "
                + "pg_dump alone to a local file, same pg_dump, median of " + RUNS);
        Map<String, TestStack> stacks = new LinkedHashMap<>();
        for (String c : COMPRESSIONS) {
            stacks.put(c, warm(TestStack.create("production", bucket, db, Map.of("BACKUP_COMPRESSION", c))));
        }
        Map<String, List<Long>> alone = new LinkedHashMap<>();
        Map<String, List<Long>> aloneBytes = new LinkedHashMap<>();
        Map<String, List<Long>> product = new LinkedHashMap<>();
        Map<String, List<Long>> productBytes = new LinkedHashMap<>();
        Map<String, String> versions = new LinkedHashMap<>();
        for (int run = 0; run < RUNS; run++) {
            for (String c : COMPRESSIONS) {
                Compression compression = Compression.parse(c);
                PgTools.Installation dumpTool = tools.pgDumpFor(serverMajor, compression);
                versions.put(c, dumpTool.version());
                Path file = work.resolve("compression.dump");
                Runnable bare = () -> {
                    alone.computeIfAbsent(c, k -> new ArrayList<>()).add(unchecked(() -> pgDump(dumpTool, db,
                            List.of(compression.pgDumpArgument(dumpTool.major())), file)));
                    aloneBytes.computeIfAbsent(c, k -> new ArrayList<>()).add(unchecked(() -> Files.size(file)));
                    unchecked(() -> Files.deleteIfExists(file));
                };
                Runnable viaProduct = () -> {
                    long t = System.nanoTime();
                    BackupService.Outcome o = backup(stacks.get(c));
                    product.computeIfAbsent(c, k -> new ArrayList<>()).add(millisSince(t));
                    productBytes.computeIfAbsent(c, k -> new ArrayList<>()).add(o.bytes());
                    purge(stacks.get(c).s3, Set.of());
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
        String base = "gzip:6";
        long gzipMs = product.containsKey(base) ? Report.median(product.get(base)) : -1;
        long gzipBytes = productBytes.containsKey(base) ? Report.median(productBytes.get(base)) : -1;
        Report.Table t = new Report.Table("BACKUP_COMPRESSION", "pg_dump", "pg_dump alone ms", "alone MB",
                "product ms", "product MB", "product/alone", "MB/s of database", "gzip:6 time / this",
                "size / gzip:6", "2.5x faster, no larger");
        for (String c : COMPRESSIONS) {
            long p = Report.median(product.get(c));
            long pb = Report.median(productBytes.get(c));
            boolean meets = gzipMs > 0 && gzipMs >= 2.5 * p && pb <= gzipBytes;
            t.row(c + (c.equals(Compression.DEFAULT) ? " (default)" : ""), versions.get(c),
                    Report.ms(Report.median(alone.get(c))), Report.mb(Report.median(aloneBytes.get(c))),
                    Report.ms(p), Report.mb(pb), Report.ratio(p, Report.median(alone.get(c))),
                    String.format("%.1f", sizes.get(db) / 1e3 / p),
                    gzipMs > 0 ? String.format("%.2fx", (double) gzipMs / p) : "-",
                    gzipBytes > 0 ? String.format("%.2f", (double) pb / gzipBytes) : "-",
                    c.equals(base) ? "(baseline)" : meets ? "yes" : "no");
            compressionResults.computeIfAbsent(c, k -> new LinkedHashMap<>()).put(mb, new long[]{p, pb, meets ? 1 : 0});
        }
        t.print();
        if (gzipMs > 0 && product.containsKey(Compression.DEFAULT)) {
            long d = Report.median(product.get(Compression.DEFAULT));
            long db2 = Report.median(productBytes.get(Compression.DEFAULT));
            requirement("default (" + Compression.DEFAULT + ") backup >= 2.5x faster than gzip:6, archive no larger ("
                    + db + ")", String.format("%.2fx faster, %.2f of the size", (double) gzipMs / d,
                    (double) db2 / gzipBytes), gzipMs >= 2.5 * d && db2 <= gzipBytes);
        }
    }

    private final Map<String, Map<Long, long[]>> compressionResults = new LinkedHashMap<>();

    private void recommendCompression() {
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
                            .allMatch(v -> v[2] == 1)).map(Map.Entry::getKey).toList(), largest, best, smallest,
                    Compression.DEFAULT);
        }
    }

    // ------------------------------------------------------------------------------------------ 2. the pipe

    private void pipe(long mb) throws Exception {
        String db = database(mb);
        heading("Against the pipe a user would build: " + db + " (" + Report.mb(sizes.get(db)) + " MB), median of "
                + RUNS);
        TestStack source = warm(TestStack.create("production", bucket, db, Map.of()));
        String targetDb = "bench_target";
        pg.dropDatabase(targetDb);
        pg.createDatabase(targetDb);
        TestStack streaming = warm(TestStack.create("staging", bucket, targetDb, Map.of("RESTORE_JOBS", "1")));
        TestStack parallel = warm(TestStack.create("staging", bucket, targetDb, Map.of("RESTORE_JOBS", "2")));
        Compression def = Compression.parse(Compression.DEFAULT);
        PgTools.Installation dumpTool = tools.pgDumpFor(serverMajor, def);
        Map<String, List<Long>> ms = new LinkedHashMap<>();
        Map<String, List<Long>> bytes = new LinkedHashMap<>();
        String kept = null;
        String pgDumpVersion = null;
        Path file = work.resolve("pipe.dump");
        String gzipAlone = "pg_dump -Fc (default: gzip) alone -> local file";
        String zstdAlone = "pg_dump -Fc --compress=" + def + " alone -> local file";
        String pipe = "pipe: pg_dump -Fc | boto3 upload_fileobj -> moto";
        String product = "product backup (" + def + ", the default) -> moto";
        for (int run = 0; run < RUNS; run++) {
            add(ms, gzipAlone, pgDump(dumpTool, db, List.of(), file));
            add(bytes, gzipAlone, Files.size(file));
            Files.deleteIfExists(file);
            add(ms, zstdAlone, pgDump(dumpTool, db, List.of(def.pgDumpArgument(dumpTool.major())), file));
            add(bytes, zstdAlone, Files.size(file));
            Files.deleteIfExists(file);
            String key = "user-pipe/" + UUID.randomUUID() + ".dump";
            add(ms, pipe, pipeBackup(dumpTool, db, key));
            add(bytes, pipe, source.s3.headObject(b -> b.bucket(bucket).key(key)).contentLength());
            long t = System.nanoTime();
            BackupService.Outcome o = backup(source);
            add(ms, product, millisSince(t));
            add(bytes, product, o.bytes());
            kept = o.filename();
            pgDumpVersion = o.pgDumpVersion();
            String keep = kept;
            purge(source.s3, Set.of(keep, new StateKeys(TestStack.APP, "production").manifest(keep, BackupClass.ON_DEMAND)));
        }
        System.out.printf("backups (pg_dump %s):%n", dumpTool.version());
        Report.Table bt = new Report.Table("backup", "median ms", "archive MB", "MB/s of database", "product / this");
        long productMs = Report.median(ms.get(product));
        for (String k : ms.keySet()) {
            long m = Report.median(ms.get(k));
            bt.row(k, Report.ms(m), Report.mb(Report.median(bytes.get(k))), String.format("%.1f", sizes.get(db) / 1e3 / m),
                    k.equals(product) ? "" : Report.ratio(productMs, m));
        }
        bt.print();
        long pipeMs = Report.median(ms.get(pipe));
        requirement("backup <= 0.9x the pipe (" + db + ")", Report.ratio(productMs, pipeMs), productMs <= 0.9 * pipeMs);

        // restores: all of the product's archive (the last backup above), so only the transport and mode differ
        download(source.s3, kept, file);
        long archive = Files.size(file);
        PgTools.Installation restoreTool = restoreToolFor(pgDumpVersion);
        Map<String, List<Long>> rms = new LinkedHashMap<>();
        String alone1 = "pg_restore -j 1 --single-transaction alone <- local file";
        String alone2 = "pg_restore -j 2 alone <- local file";
        String pipeR = "pipe: boto3 download_fileobj | pg_restore -j 1 --single-transaction";
        String stream = "product, streaming (RESTORE_JOBS=1): S3 -> pg_restore, swap";
        String par = "product, parallel (RESTORE_JOBS=2): download, pg_restore -j 2, swap";
        Map<String, Map<String, List<Long>>> steps = new LinkedHashMap<>();
        for (int run = 0; run < RUNS; run++) {
            add(rms, alone1, pgRestore(restoreTool, file, 1));
            add(rms, alone2, pgRestore(restoreTool, file, 2));
            add(rms, pipeR, pipeRestore(restoreTool, kept));
            for (TestStack s : List.of(streaming, parallel)) {
                String label = s == streaming ? stream : par;
                long t = System.nanoTime();
                RestoreService.Outcome r = restore(s, kept);
                add(rms, label, millisSince(t));
                collect(steps.computeIfAbsent(label, k -> new LinkedHashMap<>()), r.timings());
                if (r.jobs() != (s == streaming ? 1 : 2)) {
                    System.out.printf("  note: %s ran with %d job(s)%n", label, r.jobs());
                }
                dropPreRestoreCopies(s);
            }
        }
        Files.deleteIfExists(file);
        purge(source.s3, Set.of());
        System.out.printf("%nrestores of the product's archive (%s MB, written by pg_dump %s; pg_restore %s) into a new "
                + "database:%n", Report.mb(archive), pgDumpVersion, restoreTool.version());
        long a1 = Report.median(rms.get(alone1));
        long a2 = Report.median(rms.get(alone2));
        long pr = Report.median(rms.get(pipeR));
        Report.Table rt = new Report.Table("restore", "median ms", "MB/s of database", "/ pipe", "/ pg_restore -j1 alone",
                "/ pg_restore -j2 alone", "product steps (median ms)");
        for (String k : rms.keySet()) {
            long m = Report.median(rms.get(k));
            String stepText = steps.containsKey(k) ? steps.get(k).entrySet().stream()
                    .map(e -> e.getKey() + " " + Report.median(e.getValue())).reduce((x, y) -> x + ", " + y).orElse("")
                    : "";
            rt.row(k, Report.ms(m), String.format("%.1f", sizes.get(db) / 1e3 / m), Report.ratio(m, pr),
                    Report.ratio(m, a1), Report.ratio(m, a2), stepText);
        }
        rt.print();
        long s1 = Report.median(rms.get(stream));
        long p2 = Report.median(rms.get(par));
        requirement("streaming restore <= 1.0x the pipe (" + db + ")", Report.ratio(s1, pr), s1 <= pr);
        requirement("parallel restore (2 jobs) vs pg_restore -j 1 alone (" + db + ", 2 cores)", Report.ratio(p2, a1),
                p2 < a1);
        pg.dropDatabase(targetDb);
    }

    private static void add(Map<String, List<Long>> m, String k, long v) {
        m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }

    // ------------------------------------------------------------------------------------------ 4. peak RSS

    private void rss(long mb) throws Exception {
        String db = database(mb);
        heading("Peak RSS of the worker: " + db + " (" + Report.mb(sizes.get(db)) + " MB), each job in its own JVM "
                + "(" + String.join(" ", workerJvmFlags()) + "), median of " + RUNS);
        // the stacks the children run in (their SSM parameters, keys and variables)
        TestStack source = TestStack.create("production", bucket, db, Map.of());
        String targetDb = "bench_target";
        pg.dropDatabase(targetDb);
        pg.createDatabase(targetDb);
        TestStack streaming = TestStack.create("staging", bucket, targetDb, Map.of("RESTORE_JOBS", "1"));
        TestStack parallel = TestStack.create("staging", bucket, targetDb, Map.of("RESTORE_JOBS", "2"));
        Map<String, Map<String, List<Long>>> m = new LinkedHashMap<>();
        for (int run = 0; run < RUNS; run++) {
            Map<String, Object> b = child(with(List.of("backup", "production", bucket, db), source,
                    BackupWorkerHandler.class));
            record(m, "backup (" + Compression.DEFAULT + ", the default)", b);
            String file = (String) b.get("file");
            record(m, "restore, streaming (RESTORE_JOBS=1)", child(with(List.of("restore", "staging", bucket, targetDb,
                    file), streaming, RestoreWorkerHandler.class)));
            dropPreRestoreCopies(streaming);
            record(m, "restore, parallel (RESTORE_JOBS=2)", child(with(List.of("restore", "staging", bucket, targetDb,
                    file), parallel, RestoreWorkerHandler.class)));
            dropPreRestoreCopies(parallel);
            purge(streaming.s3, Set.of());
        }
        Report.Table t = new Report.Table("job", "time ms", "JVM peak RSS MB (VmHWM)", "JVM + tools peak MB (sampled)",
                "tools peak MB", "max heap MB");
        for (Map.Entry<String, Map<String, List<Long>>> e : m.entrySet()) {
            Map<String, Long> med = new LinkedHashMap<>();
            e.getValue().forEach((k, v) -> med.put(k, Report.median(v)));
            rss.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>()).put(mb, med);
            t.row(e.getKey(), Report.ms(med.get("ms")), kbToMb(med.get("vmHwmKb")), kbToMb(med.get("peakTreeKb")),
                    kbToMb(med.get("peakToolsKb")), med.get("heapMaxMb"));
        }
        t.print();
        pg.dropDatabase(targetDb);
    }

    private static void record(Map<String, Map<String, List<Long>>> m, String job, Map<String, Object> result) {
        for (String k : List.of("ms", "vmHwmKb", "peakTreeKb", "peakToolsKb", "heapMaxMb")) {
            m.computeIfAbsent(job, x -> new LinkedHashMap<>()).computeIfAbsent(k, x -> new ArrayList<>())
                    .add(((Number) result.get(k)).longValue());
        }
    }

    private void rssReport() {
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
            requirement("peak worker RSS within 10% at " + small + " and " + large + " MB: " + e.getKey(),
                    String.format("JVM %.2f, JVM+tools %.2f", jvm, tree), Math.abs(jvm - 1) <= 0.10
                            && Math.abs(tree - 1) <= 0.10);
        }
        t.print();
    }

    /**
     * The JVM of a Lambda worker of BENCH_WORKER_MEMORY_MB as Lambda's Java runtime starts it (heap 85%, metaspace 10%,
     * code cache 5% of the memory, serial GC, C1 only), seeing that much memory.
     */
    static List<String> workerJvmFlags() {
        long m = Long.parseLong(WORKER_MEMORY_MB);
        return List.of("-XX:MaxRAM=" + m + "m", "-XX:MaxHeapSize=" + (m * 85 / 100) + "m",
                "-XX:MaxMetaspaceSize=" + (m * 10 / 100) + "m", "-XX:ReservedCodeCacheSize=" + (m * 5 / 100) + "m",
                "-XX:+UseSerialGC", "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1");
    }

    private static String kbToMb(long kb) {
        return String.format("%.0f", kb / 1024.0);
    }

    /** A child's arguments: {@code args}, then the variables the template gives {@code handler}'s function. */
    private static String[] with(List<String> args, TestStack stack, Class<?> handler) {
        List<String> all = new ArrayList<>(args);
        stack.environmentOf(stack.template.function(handler.getName())).forEach((k, v) -> all.add(k + "=" + v));
        return all.toArray(String[]::new);
    }

    /** Runs {@link WorkerProcess} in a new JVM and returns its RESULT. */
    Map<String, Object> child(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(workerJvmFlags());
        String extra = env("BENCH_WORKER_JVM_OPTS", "");
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

    // ------------------------------------------------------------------------------------------ 5. listing

    private void listing() throws Exception {
        heading("Listing at scale: GET /api/setting/backups over " + LIST_BACKUPS + " backups (ListBackupsHandler, "
                + "moto), warm: median of 5 after 2 warm-ups");
        String listBucket = "bench-list-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(listBucket);
        TestStack s = TestStack.create("staging", listBucket, "bench_list", Map.of());
        List<String> environments = List.of("production", "staging", "qa", "dev");
        List<String> keys = new ArrayList<>();
        Instant base = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < LIST_BACKUPS; i++) {
            String env = environments.get(i % environments.size());
            String name = BackupFiles.name(env, base.minusSeconds(600L * i));
            keys.add(name);
            keys.add(new StateKeys(TestStack.APP, env).manifest(name, i % 3 == 0 ? BackupClass.ON_DEMAND
                    : BackupClass.SCHEDULED));
        }
        int others = 0;
        for (int i = 0; i < 300; i++, others++) { // another application's backups in the shared bucket
            keys.add(BackupName.create("otherapp", "production", java.time.ZoneId.of("Asia/Kolkata"), "IST",
                    base.minusSeconds(900L * i)).filename());
        }
        for (int i = 0; i < 200; i++, others++) { // job records, locks
            keys.add(new StateKeys(TestStack.APP, environments.get(i % 4)).job(UUID.randomUUID().toString()));
        }
        for (int i = 0; i < 100; i++, others++) { // same prefix, not a backup name
            keys.add(TestStack.APP + "-notes-" + i + ".txt");
        }
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> puts = new ArrayList<>();
        byte[] body = new byte[1024];
        for (String k : keys) {
            puts.add(pool.submit(() -> s.s3.putObject(b -> b.bucket(listBucket).key(k), RequestBody.fromBytes(body))));
        }
        for (Future<?> f : puts) {
            f.get();
        }
        pool.shutdown();
        System.out.printf("bucket %s: %d backups of this app (4 environments) + %d manifests + %d other keys = %d "
                        + "objects (put in %.1f s)%n", listBucket, LIST_BACKUPS, LIST_BACKUPS, others, keys.size(),
                (System.nanoTime() - t0) / 1e9);
        ListBackupsHandler handler = new ListBackupsHandler(s.wiring);
        String token = s.token("bench", "WEB_ACCESS");
        Report.Table t = new Report.Table("request", "median ms", "min ms", "max ms", "count in answer", "answer KB");
        for (String filter : new String[]{null, "production"}) {
            List<Long> times = new ArrayList<>();
            APIGatewayV2HTTPResponse last = null;
            for (int i = 0; i < 7; i++) {
                APIGatewayV2HTTPEvent event = ApiEvents.request("GET", "/api/setting/backups",
                        TestStack.bearer(token), null);
                if (filter != null) {
                    event.setQueryStringParameters(Map.of("environment", filter));
                    event.setRawQueryString("environment=" + filter);
                }
                long started = System.nanoTime();
                last = handler.handleRequest(event, new TestContext(Duration.ofSeconds(29)));
                if (i >= 2) {
                    times.add(millisSince(started));
                }
                if (last.getStatusCode() != 200) {
                    throw new IllegalStateException("listing answered " + last.getStatusCode() + ": " + last.getBody());
                }
            }
            Object count = Json.MAPPER.readValue(last.getBody(), Map.class).get("count");
            long median = Report.median(times);
            t.row("GET /api/setting/backups" + (filter == null ? "" : "?environment=" + filter), Report.ms(median),
                    Report.ms(times.stream().min(Long::compare).orElse(0L)),
                    Report.ms(times.stream().max(Long::compare).orElse(0L)), count,
                    String.format("%.0f", last.getBody().length() / 1024.0));
            if (filter == null) {
                requirement("listing " + LIST_BACKUPS + " backups < 1 s (warm, moto)", median + " ms", median < 1000);
            }
        }
        t.print();
    }

    // ------------------------------------------------------------------------------------------ 6. download

    private void parallelDownload() throws Exception {
        heading("Parallel download: does the SDK fetch the parts of a multipart archive at once? (FaultProxy in front of "
                + "moto, every GET of the object delayed 500 ms)");
        int parts = 6;
        String key = "bench-download-" + UUID.randomUUID() + ".bin";
        byte[] data = new byte[parts * 8 * 1024 * 1024];
        new Random(1).nextBytes(data);
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            TestStack s = TestStack.create("production", bucket, "bench_small", Map.of(), Clock.systemUTC(),
                    proxy.endpoint());
            s.wiring.archives.upload(key, new ByteArrayInputStream(data), Deadline.in(LONG), () -> { });
            String eTag = s.s3.headObject(b -> b.bucket(bucket).key(key)).eTag();
            Integer partsCount = s.s3.headObject(b -> b.bucket(bucket).key(key).partNumber(1)).partsCount();
            System.out.printf("object: %d MiB uploaded by the product's multipart uploader (ETag %s); HEAD ?partNumber=1 "
                    + "reports parts count %s%n", data.length >> 20, eTag, partsCount);
            proxy.when(FaultProxy.s3("GET", Pattern.quote(key), null)).delay(Duration.ofMillis(500));
            Report.Table t = new Report.Table("download", "ms", "GET requests", "with partNumber", "with Range",
                    "most at once", "bytes");
            Path file = work.resolve("download.bin");
            for (String who : List.of("product: S3Archives.download (SDK multipart, 8 parts in flight)",
                    "boto3 download_fileobj (ranged GETs, 10 threads)")) {
                proxy.clearRequests();
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicInteger most = new AtomicInteger();
                Thread sampler = new Thread(() -> {
                    while (running.get()) {
                        int inFlight = proxy.requests(r -> r.method().equals("GET") && key.equals(r.key())
                                && r.status() == 0).size();
                        most.accumulateAndGet(inFlight, Math::max);
                        try {
                            Thread.sleep(5);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                sampler.start();
                long t0 = System.nanoTime();
                long got;
                if (who.startsWith("product")) {
                    Files.deleteIfExists(file);
                    got = s.wiring.archives.download(key, eTag, file, Deadline.in(LONG)).bytes();
                } else {
                    got = runPipe(List.of("/bin/bash", "-c", "set -o pipefail; \"$0\" \"$1\" download \"$2\" \"$3\" | wc -c",
                            python.toString(), pipeScript.toString(), bucket, key), awsEnv(proxy.endpoint().toString()),
                            true);
                }
                long took = millisSince(t0);
                running.set(false);
                sampler.join();
                List<FaultProxy.Request> gets = proxy.requests(r -> r.method().equals("GET") && key.equals(r.key()));
                t.row(who, Report.ms(took), gets.size(), gets.stream().filter(r -> r.hasQueryParam("partNumber")).count(),
                        gets.stream().filter(r -> r.header("range") != null).count(), most.get(), got);
            }
            t.print();
            Files.deleteIfExists(file);
            s.s3.deleteObject(b -> b.bucket(bucket).key(key));
        }
        System.out.println("(S3 answers GET ?partNumber=N of a multipart object with part N and the parts count, and the "
                + "SDK then fetches the other parts at once; moto answers it with the whole object and no parts count "
                + "(only its HEAD gives the count), so against moto the product's parallel download is one GET)");
    }

    // ------------------------------------------------------------------------------------------ the product

    BackupService.Outcome backup(TestStack stack) {
        String name = BackupName.create(stack.wiring.config, Instant.now().plusSeconds(sequence++)).filename();
        return BackupWorkerHandler.service(stack.wiring).run(new BackupService.Request(JobStore.newJobId(), name,
                BackupClass.ON_DEMAND), Deadline.in(LONG));
    }

    RestoreService.Outcome restore(TestStack target, String filename) {
        return RestoreWorkerHandler.service(target.wiring).run(JobStore.newJobId(), filename, Deadline.in(LONG));
    }

    /** The pre-restore copies the swaps kept (KEEP_PRE_RESTORE_COPY defaults to true), dropped outside the timings. */
    void dropPreRestoreCopies(TestStack target) {
        for (String d : pg.databases(target.database + "_pre_restore")) {
            pg.dropDatabase(d);
        }
    }

    /**
     * What a warm container has: the tools probed, the database URL read from SSM, the S3 clients (and the Netty
     * client of the archive transfers) connected. Nothing of this is timed.
     */
    TestStack warm(TestStack stack) throws IOException {
        stack.wiring.pgTools.installations("pg_dump");
        stack.wiring.pgTools.installations("pg_restore");
        stack.wiring.database();
        stack.wiring.catalog.listAll();
        String key = "bench-warmup-" + UUID.randomUUID();
        stack.wiring.archives.upload(key, new ByteArrayInputStream(new byte[1024]), Deadline.in(LONG), () -> { });
        String eTag = stack.s3.headObject(b -> b.bucket(bucket).key(key)).eTag();
        Path file = work.resolve("warmup.bin");
        stack.wiring.archives.download(key, eTag, file, Deadline.in(LONG));
        Files.deleteIfExists(file);
        stack.s3.deleteObject(b -> b.bucket(bucket).key(key));
        return stack;
    }

    /** Deletes every object of the benchmark's bucket but {@code keep}: backups, manifests, records. */
    void purge(S3Client s3, Set<String> keep) {
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
            if (!keep.contains(o.key())) {
                s3.deleteObject(b -> b.bucket(bucket).key(o.key()));
            }
        }
    }

    void download(S3Client s3, String key, Path file) throws IOException {
        Files.deleteIfExists(file);
        s3.getObject(b -> b.bucket(bucket).key(key), file);
    }

    PgTools.Installation restoreToolFor(String dumpedBy) {
        int major = Integer.parseInt(dumpedBy.replaceAll("^(\\d+).*", "$1"));
        return tools.pgRestoreFor(major, dumpedBy, serverMajor);
    }

    // ------------------------------------------------------------------------------------------ the bare tools

    /** {@code pg_dump -Fc [extra] --file=<file>} of {@code db}, by {@code tool}; milliseconds. */
    long pgDump(PgTools.Installation tool, String db, List<String> extra, Path file) {
        List<String> cmd = new ArrayList<>(List.of(tool.tool("pg_dump").toString(), "--format=custom"));
        cmd.addAll(extra);
        cmd.addAll(List.of("--no-password", "--file=" + file));
        return run(cmd, tools.environmentFor(pg.connection(db)));
    }

    /**
     * {@code pg_restore} of {@code file} into a new database (created and dropped outside the timing), with the
     * product's options: one job in a single transaction, or {@code --jobs}.
     */
    long pgRestore(PgTools.Installation tool, Path file, int jobs) {
        String db = "bench_plain";
        pg.dropDatabase(db);
        pg.createDatabase(db);
        try {
            return run(List.of(tool.tool("pg_restore").toString(), "--no-owner", "--no-acl", "--exit-on-error",
                    jobs == 1 ? "--single-transaction" : "--jobs=" + jobs, "--no-password", "--dbname=" + db,
                    file.toString()), tools.environmentFor(pg.connection(db)));
        } finally {
            pg.dropDatabase(db);
        }
    }

    /** {@code pg_dump -Fc | python pipe.py upload} (pg_dump's default compression); milliseconds. */
    private long pipeBackup(PgTools.Installation tool, String db, String key) {
        return pipeBackup(tool, db, key, "");
    }

    /** {@code pg_dump -Fc <dumpArgument> | python pipe.py upload}: the pipe with a compression of its own. */
    long pipeBackup(PgTools.Installation tool, String db, String key, String dumpArgument) {
        Map<String, String> env = new HashMap<>(tools.environmentFor(pg.connection(db)));
        env.putAll(awsEnv(MotoServer.get().endpoint().toString()));
        long t0 = System.nanoTime();
        runPipe(List.of("/bin/bash", "-c", "set -o pipefail; \"$0\" --format=custom $5 --no-password | \"$1\" \"$2\" "
                + "upload \"$3\" \"$4\"", tool.tool("pg_dump").toString(), python.toString(), pipeScript.toString(),
                bucket, key, dumpArgument), env, false);
        return millisSince(t0);
    }

    /** {@code python pipe.py download | pg_restore --single-transaction} into a new database; milliseconds. */
    long pipeRestore(PgTools.Installation tool, String key) {
        String db = "bench_plain";
        pg.dropDatabase(db);
        pg.createDatabase(db);
        try {
            Map<String, String> env = new HashMap<>(tools.environmentFor(pg.connection(db)));
            env.putAll(awsEnv(MotoServer.get().endpoint().toString()));
            long t0 = System.nanoTime();
            runPipe(List.of("/bin/bash", "-c", "set -o pipefail; \"$0\" \"$1\" download \"$2\" \"$3\" | \"$4\" "
                    + "--no-owner --no-acl --exit-on-error --single-transaction --no-password --dbname=\"$5\"",
                    python.toString(), pipeScript.toString(), bucket, key, tool.tool("pg_restore").toString(), db), env,
                    false);
            return millisSince(t0);
        } finally {
            pg.dropDatabase(db);
        }
    }

    private static Map<String, String> awsEnv(String endpoint) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_ENDPOINT_URL", endpoint);
        env.put("AWS_ACCESS_KEY_ID", "test");
        env.put("AWS_SECRET_ACCESS_KEY", "test");
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", System.getProperty("java.io.tmpdir"));
        return env;
    }

    private static long run(List<String> cmd, Map<String, String> env) {
        long t0 = System.nanoTime();
        runPipe(cmd, env, false);
        return millisSince(t0);
    }

    /** Runs a command; fails with its output on a non-zero exit. Returns stdout as a number when asked. */
    private static long runPipe(List<String> cmd, Map<String, String> env, boolean stdoutIsNumber) {
        try {
            ProcessBuilder builder = new ProcessBuilder(cmd);
            builder.environment().clear();
            builder.environment().putAll(env);
            Path err = Files.createTempFile("bench-", ".err");
            builder.redirectError(err.toFile());
            if (!stdoutIsNumber) {
                builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            }
            Process p = builder.start();
            p.getOutputStream().close();
            String out = stdoutIsNumber ? new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim() : "";
            int code = p.waitFor();
            String stderr = Files.readString(err);
            Files.deleteIfExists(err);
            if (code != 0) {
                throw new IllegalStateException(cmd.get(0) + " " + cmd.get(1) + "... exited " + code + ": "
                        + stderr.substring(Math.max(0, stderr.length() - 2000)));
            }
            return stdoutIsNumber ? Long.parseLong(out) : 0;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------ plumbing

    /** The seeded database of about {@code mb} MB (pg_database_size), seeded on first use. */
    private String database(long mb) throws Exception {
        String db = databases.get(mb);
        if (db == null) {
            db = "bench_" + mb + "mb";
            System.out.printf("seeding %s (about %d MB)...%n", db, mb);
            sizes.put(db, Seeder.seed(pg, db, mb * 1_000_000L));
            System.out.println("  " + Seeder.describe(pg, db));
            databases.put(mb, db);
        }
        return db;
    }

    void requirement(String what, String measured, boolean met) {
        requirements.add(new String[]{what, measured, met ? "met" : "NOT met"});
    }

    private void summary() {
        recommendCompression();
        if (requirements.isEmpty()) {
            return;
        }
        heading("Requirements");
        Report.Table t = new Report.Table("requirement", "measured", "");
        for (String[] r : requirements) {
            t.row((Object[]) r);
        }
        t.print();
    }

    private void cleanUp() {
        try (var files = Files.list(work)) {
            files.forEach(f -> unchecked(() -> Files.deleteIfExists(f)));
            Files.deleteIfExists(work);
        } catch (IOException | RuntimeException ignored) {
            // temp files
        }
    }

    static void heading(String text) {
        System.out.printf("%n## %s%n%n(load average %s)%n", text, loadAverage());
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().replaceAll("^(\\S+ \\S+ \\S+).*", "$1");
        } catch (IOException e) {
            return "?";
        }
    }

    static long millisSince(long nanoStart) {
        return (System.nanoTime() - nanoStart) / 1_000_000;
    }

    interface Step<T> {
        T get() throws Exception;
    }

    static <T> T unchecked(Step<T> step) {
        try {
            return step.get();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }
}
