package dev.pgbackup.bench;

import dev.pgbackup.backup.BackupService;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.list.ListBackupsHandler;
import dev.pgbackup.restore.RestoreService;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
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
 * {@link WorkerJvm#flags()}), {@code BENCH_WORKER_JVM_OPTS} (more flags for the worker JVM, e.g. -Xlog:gc; its
 * output is then shown), {@code BENCH_PG_RTT_US} (0: clients reach the server over loopback; N: through
 * {@link LatencyProxy}, N microseconds added to every round trip).
 */
public final class Benchmark {
    static final List<String> PARTS = List.of("fixed", "compression", "pipe", "rss", "list", "download", "tables",
            "shapes");
    static final int RUNS = Integer.parseInt(env("BENCH_RUNS", "3"));
    static final List<Long> SIZES = Arrays.stream(env("BENCH_SIZES", "250,1000").split(","))
            .map(String::trim).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
    static final boolean RANDOM_DATA = switch (env("BENCH_DATA", "realistic")) {
        case "realistic" -> false;
        case "random" -> true;
        default -> throw new IllegalArgumentException("BENCH_DATA: realistic or random");
    };
    static final Set<String> ONLY = new LinkedHashSet<>(Arrays.stream(env("BENCH_ONLY", String.join(",", PARTS))
            .split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
    static final List<String> COMPRESSIONS = Arrays.stream(
            env("BENCH_COMPRESSIONS", "zstd:1,zstd:3,zstd:6,lz4:1,gzip:1,gzip:6,none").split(","))
            .map(String::trim).toList();
    static final long FIXED_MB = Long.parseLong(env("BENCH_FIXED_MB", "5"));
    static final int LIST_BACKUPS = Integer.parseInt(env("BENCH_LIST_BACKUPS", "2000"));
    static final String WORKER_MEMORY_MB = env("BENCH_WORKER_MEMORY_MB", "2048");
    static final long RTT_MICROS = Long.parseLong(env("BENCH_PG_RTT_US", "0"));
    static final Duration LONG = Duration.ofMinutes(60);

    final TestPostgres pg;
    final PgTools tools;
    final int serverMajor;
    final String bucket;
    final Path work;
    final Path python;
    final Path pipeScript;
    /** What the product is measured against: the tools alone and the user's pipe. */
    final Baselines baselines;
    private final Map<Long, String> databases = new LinkedHashMap<>();
    final Map<String, Long> sizes = new HashMap<>();
    private final List<String[]> requirements = new ArrayList<>();
    private int sequence;

    private Benchmark() throws IOException {
        for (String part : ONLY) {
            if (!PARTS.contains(part)) {
                throw new IllegalArgumentException("BENCH_ONLY: unknown part '" + part + "' (parts: " + PARTS + ")");
            }
        }
        String data = env("BENCH_PG_DATA", "");
        pg = data.isEmpty() ? TestPostgres.get() : TestPostgres.getIn(Path.of(data));
        if (RTT_MICROS > 0) {
            pg.routeClientsThrough(LatencyProxy.start(pg.port(), RTT_MICROS).port());
        }
        MotoServer.get();
        tools = new PgTools(RepoPaths.pgToolsDir());
        serverMajor = pg.serverMajor();
        bucket = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        work = Files.createTempDirectory("pgbackup-bench-");
        python = RepoPaths.root().resolve(".venv/bin/python");
        pipeScript = Path
                .of(System.getProperty("bench.pipe", RepoPaths.root().resolve("benchmarks/pipe.py").toString()));
        baselines = new Baselines(pg, tools, bucket, python, pipeScript);
    }

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        System.out.printf("pg-backup benchmark %s: BENCH_SIZES=%s BENCH_RUNS=%d BENCH_ONLY=%s%n", Instant.now(),
                SIZES, RUNS, ONLY);
        System.out.printf("machine: %d cores, load average at start %s; java %s%n",
                Runtime.getRuntime().availableProcessors(), loadAverage(), System.getProperty("java.version"));
        Benchmark b = new Benchmark();
        CompressionChoice compression = new CompressionChoice(b);
        System.out.printf("server: embedded PostgreSQL %s, data directory %s; tools: the layer's pg_dump/pg_restore %s;"
                + " S3/SSM: moto %s%n", b.pg.query("postgres", "show server_version").get(0),
                b.pg.query("postgres", "show data_directory").get(0),
                b.tools.installations("pg_dump").stream().map(PgTools.Installation::version).toList(),
                MotoServer.get().endpoint());
        System.out.printf("network to PostgreSQL: %s (measured: median of 200 'select 1' round trips)%n",
                LatencyProxy.describe(b.pg, RTT_MICROS));
        try {
            if (ONLY.contains("fixed")) {
                new FixedCost(b).measure();
            }
            if (ONLY.contains("compression")) {
                for (long mb : SIZES) {
                    compression.measure(mb);
                }
            }
            if (ONLY.contains("pipe")) {
                PipeComparison pipe = new PipeComparison(b);
                for (long mb : SIZES) {
                    pipe.measure(mb);
                }
            }
            if (ONLY.contains("rss")) {
                WorkerMemory memory = new WorkerMemory(b);
                for (long mb : SIZES) {
                    memory.measure(mb);
                }
                memory.report();
            }
            if (ONLY.contains("list")) {
                new Listing(b).measure();
            }
            if (ONLY.contains("download")) {
                new ParallelDownload(b).measure();
            }
            if (ONLY.contains("tables")) {
                new ManyTables(b).run();
            }
            if (ONLY.contains("shapes")) {
                new Shapes(b).run();
            }
            b.summary(compression);
        } finally {
            System.out.printf("%nload average at end %s; total %.1f min%n", loadAverage(),
                    (System.nanoTime() - start) / 60e9);
            b.cleanUp();
        }
        System.exit(0);
    }

    static void collect(Map<String, List<Long>> steps, Map<String, Long> timings) {
        timings.forEach((k, v) -> steps.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }

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
        stack.wiring.archives.upload(key, new ByteArrayInputStream(new byte[1024]), Deadline.in(LONG), () -> {});
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

    /** The seeded database of about {@code mb} MB (pg_database_size), seeded on first use. */
    String database(long mb) throws Exception {
        String db = databases.get(mb);
        if (db == null) {
            db = "bench_" + mb + "mb" + (RANDOM_DATA ? "_random" : "");
            System.out.printf("seeding %s (about %d MB)...%n", db, mb);
            sizes.put(db,
                    RANDOM_DATA ? RandomSeed.seed(pg, db, mb * 1_000_000L) : Seeder.seed(pg, db, mb * 1_000_000L));
            System.out.println("  " + Seeder.describe(pg, db));
            databases.put(mb, db);
        }
        return db;
    }

    void requirement(String what, String measured, boolean met) {
        requirements.add(new String[] {what, measured, met ? "met" : "NOT met"});
    }

    private void summary(CompressionChoice compression) {
        compression.recommend();
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
