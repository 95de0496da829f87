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
    final Path python;
    final Path pipeScript;
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
        CompressionChoice compression = new CompressionChoice(b);
        System.out.printf("server: embedded PostgreSQL %s; tools: the layer's pg_dump/pg_restore %s; S3/SSM: moto %s%n",
                b.pg.query("postgres", "show server_version").get(0),
                b.tools.installations("pg_dump").stream().map(PgTools.Installation::version).toList(),
                MotoServer.get().endpoint());
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
    long pipeBackup(PgTools.Installation tool, String db, String key) {
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

    static Map<String, String> awsEnv(String endpoint) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_ENDPOINT_URL", endpoint);
        env.put("AWS_ACCESS_KEY_ID", "test");
        env.put("AWS_SECRET_ACCESS_KEY", "test");
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", System.getProperty("java.io.tmpdir"));
        return env;
    }

    static long run(List<String> cmd, Map<String, String> env) {
        long t0 = System.nanoTime();
        runPipe(cmd, env, false);
        return millisSince(t0);
    }

    /** Runs a command; fails with its output on a non-zero exit. Returns stdout as a number when asked. */
    static long runPipe(List<String> cmd, Map<String, String> env, boolean stdoutIsNumber) {
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


    /** The seeded database of about {@code mb} MB (pg_database_size), seeded on first use. */
    String database(long mb) throws Exception {
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
