package dev.pgbackup.bench;

import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the product is measured against, run as processes and timed: {@code pg_dump}/{@code pg_restore} alone on local
 * files, and the pipe a user would build ({@code pg_dump -Fc | boto3}, {@code boto3 | pg_restore}); with the
 * process running the other benchmarks use. Apart from {@link Benchmark}, which holds the run's settings and the
 * product's side.
 */
final class Baselines {
    private final TestPostgres pg;
    private final PgTools tools;
    private final String bucket;
    private final Path python;
    private final Path pipeScript;

    Baselines(TestPostgres pg, PgTools tools, String bucket, Path python, Path pipeScript) {
        this.pg = pg;
        this.tools = tools;
        this.bucket = bucket;
        this.python = python;
        this.pipeScript = pipeScript;
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
        return Benchmark.millisSince(t0);
    }

    /** The pipe restore's time, and that of the ANALYZE PostgreSQL's documentation says to run after it. */
    record PipeRestore(long restoreMs, long analyzeMs) {}

    /**
     * {@code python pipe.py download | pg_restore --single-transaction} into a new database, then {@code psql -c
     * ANALYZE} in it ("once restored, it is wise to run ANALYZE", pg_restore's documentation), each timed.
     */
    PipeRestore pipeRestore(PgTools.Installation tool, String key) {
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
            long restored = Benchmark.millisSince(t0);
            long analyzed = run(List.of(tool.tool("psql").toString(), "--no-password", "--quiet", "--dbname=" + db,
                    "--command=ANALYZE"), env);
            return new PipeRestore(restored, analyzed);
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
        return Benchmark.millisSince(t0);
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
            String out = stdoutIsNumber ? new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim()
                    : "";
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
}
