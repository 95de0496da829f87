package dev.pgbackup.bench;

import dev.pgbackup.backup.BackupService;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.jobs.Deadline;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.retention.RetentionPolicy;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.restore.RestoreService;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Backup and restore through the product (S3 = moto over HTTP on this machine) against the bare tools
 * on local files, in the same run on the same database: the ratio is the product's overhead.
 * {@code BENCH_ROWS} (default 100000, about 1 KB of incompressible data each) sets the size,
 * {@code BENCH_RUNS} (default 3) the repetitions; medians are reported.
 */
public final class Benchmark {
    private static final String SOURCE = "bench_source";

    public static void main(String[] args) throws Exception {
        int rows = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROWS", "100000"));
        int runs = Integer.parseInt(System.getenv().getOrDefault("BENCH_RUNS", "3"));
        TestPostgres pg = TestPostgres.get();
        System.out.printf("seeding %d rows...%n", rows);
        pg.createDatabase(SOURCE);
        seed(pg, rows);
        long dbBytes = Long.parseLong(pg.query(SOURCE, "select pg_database_size(current_database())").get(0));

        String bucket = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        // the stack restores into bench_target; its backups come from bench_source's stack
        TestStack source = TestStack.create("production", bucket, SOURCE, Map.of());
        TestStack target = TestStack.create("staging", bucket, "bench_target", Map.of("KEEP_PRE_RESTORE_COPY", "false"));
        pg.createDatabase("bench_target");

        Path dumpFile = Files.createTempFile("bench-", ".dump");
        List<Long> pgDump = new ArrayList<>();
        List<Long> backup = new ArrayList<>();
        List<Long> pgRestore = new ArrayList<>();
        List<Long> restore = new ArrayList<>();
        List<Long> counting = new ArrayList<>();
        long dumpBytes = 0;
        for (int i = 0; i < runs; i++) {
            pgDump.add(time(() -> tool(pg, "pg_dump", SOURCE, "--format=custom", "--no-password", "--file=" + dumpFile)));
            dumpBytes = Files.size(dumpFile);
            String restoreDb = "bench_plain_" + i;
            pg.createDatabase(restoreDb);
            pgRestore.add(time(() -> tool(pg, "pg_restore", restoreDb, "--no-owner", "--no-acl", "--exit-on-error",
                    "--single-transaction", "--no-password", "--dbname=" + restoreDb, dumpFile.toString())));
            pg.dropDatabase(restoreDb);

            String name = BackupName.create(source.wiring.config, Instant.now().plusSeconds(i)).filename();
            backup.add(time(() -> counting.add(backups(source.wiring).run(new BackupService.Request(
                    JobStore.newJobId(), name, BackupClass.ON_DEMAND), Deadline.in(Duration.ofMinutes(30)))
                    .timings().getOrDefault("count", 0L))));
            restore.add(time(() -> restores(target.wiring).run(JobStore.newJobId(), name,
                    Deadline.in(Duration.ofMinutes(30)))));
        }
        System.out.printf("%nDatabase %s MB on disk, custom-format dump %s MB, %d runs (medians):%n",
                mb(dbBytes), mb(dumpBytes), runs);
        report("pg_dump alone -> local file          ", median(pgDump), 0);
        report("backup: pg_dump -> S3 multipart (moto)", median(backup), median(pgDump));
        System.out.printf("    of which counting rows for the manifest %d ms (%.1f %% of the backup)%n",
                median(counting), 100.0 * median(counting) / median(backup));
        report("pg_restore alone <- local file        ", median(pgRestore), 0);
        report("restore: S3 (moto) -> pg_restore, swap", median(restore), median(pgRestore));
        System.out.printf("backup throughput %.1f MB/s of database; restore %.1f MB/s%n",
                dbBytes / 1e6 / (median(backup) / 1000.0), dbBytes / 1e6 / (median(restore) / 1000.0));
        Files.deleteIfExists(dumpFile);
        System.exit(0);
    }

    static BackupService backups(Wiring w) {
        return BackupWorkerHandler.service(w);
    }

    static RestoreService restores(Wiring w) {
        return dev.pgbackup.restore.RestoreWorkerHandler.service(w);
    }

    interface Step {
        void run() throws Exception;
    }

    static long time(Step step) throws Exception {
        long start = System.nanoTime();
        step.run();
        return (System.nanoTime() - start) / 1_000_000;
    }

    static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    static String mb(long bytes) {
        return String.format("%.1f", bytes / 1e6);
    }

    static void report(String label, long millis, long baseline) {
        System.out.printf("  %s %8d ms%s%n", label, millis,
                baseline > 0 ? String.format("   ratio %.2fx", (double) millis / baseline) : "");
    }

    static void tool(TestPostgres pg, String tool, String database, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(RepoPaths.pgTool(pg.serverMajor(), tool).toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PGHOST", "127.0.0.1");
        builder.environment().put("PGPORT", Integer.toString(pg.port()));
        builder.environment().put("PGUSER", TestPostgres.APP_USER);
        builder.environment().put("PGPASSWORD", TestPostgres.APP_PASSWORD);
        builder.environment().put("PGDATABASE", database);
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(tool + " failed: " + out);
        }
    }

    static void seed(TestPostgres pg, int rows) {
        pg.execute(SOURCE, """
                set role app_owner;
                create table events (id bigserial primary key, at timestamptz not null default now(),
                                     kind text not null, payload jsonb not null, blob bytea not null);
                create index events_kind_idx on events(kind);
                """);
        for (int done = 0; done < rows; done += 20000) {
            int n = Math.min(20000, rows - done);
            pg.execute(SOURCE, "set role app_owner; insert into events(kind, payload, blob) select 'kind-' || (g % 50), "
                    + "jsonb_build_object('n', g, 'text', repeat('lorem ipsum ', 10)), "
                    + "(select decode(string_agg(md5(random()::text || k || g), ''), 'hex') from generate_series(1, 48) k) "
                    + "from generate_series(1, " + n + ") g");
        }
        pg.execute(SOURCE, "analyze");
    }
}
