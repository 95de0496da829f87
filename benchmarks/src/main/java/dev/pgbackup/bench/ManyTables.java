package dev.pgbackup.bench;

import dev.pgbackup.backup.BackupService;
import dev.pgbackup.common.config.Compression;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.restore.RestoreService;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code BENCH_ONLY=tables}: a multi-tenant shape, many small tables (BENCH_TABLE_SCHEMAS schemas of
 * BENCH_TABLES_PER_SCHEMA tables, default 40 x 50, BENCH_TABLE_ROWS rows each, default 3, names of 63 bytes, each
 * table with an identity column, a primary key and an index), where the cost per table, not per byte, decides. In
 * one run: {@code pg_dump} alone against the product's backup, {@code pg_restore -j1 --single-transaction} alone
 * against the product's streamed restore and {@code pg_restore -j2} against its parallel one, with the time per
 * table and the product's steps. The restores are of a backup taken with RECORD_ROW_COUNTS=false (timed too).
 */
final class ManyTables {
    static final int SCHEMAS = Integer.parseInt(env("BENCH_TABLE_SCHEMAS", "40"));
    static final int PER_SCHEMA = Integer.parseInt(env("BENCH_TABLES_PER_SCHEMA", "50"));
    static final int ROWS = Integer.parseInt(env("BENCH_TABLE_ROWS", "3"));
    static final String DB = "bench_tables";
    static final String TARGET = "bench_tables_target";

    private final Benchmark b;
    private final TestPostgres pg;
    private final int tables = SCHEMAS * PER_SCHEMA;

    ManyTables(Benchmark b) {
        this.b = b;
        this.pg = b.pg;
    }

    /** {@code prefix} padded to PostgreSQL's longest name, 63 bytes: real schemas have long generated names. */
    static String name63(String prefix) {
        return (prefix + "_with_a_long_descriptive_name_as_generated_by_an_orm_for_a_tenant").substring(0, 63);
    }

    void run() throws Exception {
        Benchmark.heading("Many small tables: " + SCHEMAS + " schemas x " + PER_SCHEMA + " tables of " + ROWS
                + " rows, names of 63 bytes (" + Compression.DEFAULT + "; warm JVM; median of " + Benchmark.RUNS + ")");
        long t0 = System.nanoTime();
        seed(pg, DB);
        System.out.printf("seeded %s: %,d tables in %.1f s, %s MB (pg_database_size)%n", DB, tables,
                Benchmark.millisSince(t0) / 1000.0, Report.mb(Seeder.size(pg, DB)));
        pg.dropDatabase(TARGET);
        pg.createDatabase(TARGET);
        TestStack source = b.warm(TestStack.create("production", b.bucket, DB, Map.of()));
        // the restores read this one's backup: with row counts, the manifest of more than about 480 tables of
        // 63-byte names is over the 64 KiB a restore reads (see the note printed below)
        TestStack uncounted = b
                .warm(TestStack.create("production", b.bucket, DB, Map.of("RECORD_ROW_COUNTS", "false")));
        TestStack streaming = b.warm(TestStack.create("staging", b.bucket, TARGET, Map.of("RESTORE_JOBS", "1")));
        TestStack parallel = b.warm(TestStack.create("staging", b.bucket, TARGET, Map.of("RESTORE_JOBS", "2")));
        PgTools.Installation dumpTool = b.tools.pgDumpFor(b.serverMajor, Compression.parse(Compression.DEFAULT));
        List<String> dumpArgs = List.of(Compression.parse(Compression.DEFAULT).pgDumpArgument(dumpTool.major()));

        Map<String, List<Long>> ms = new LinkedHashMap<>();
        Map<String, List<Long>> backupSteps = new LinkedHashMap<>();
        Map<String, List<Long>> restoreSteps = new LinkedHashMap<>();
        Path file = b.work.resolve("tables.dump");
        String restoreVersion = null;
        long manifestBytes = 0;
        for (int run = 0; run < Benchmark.RUNS; run++) {
            add(ms, "dump alone", b.baselines.pgDump(dumpTool, DB, dumpArgs, file));
            Files.deleteIfExists(file);
            long t = System.nanoTime();
            BackupService.Outcome counted = b.backup(source);
            add(ms, "backup", Benchmark.millisSince(t));
            Benchmark.collect(backupSteps, counted.timings());
            manifestBytes = source.s3.headObject(h -> h.bucket(b.bucket).key(new StateKeys(TestStack.APP, "production")
                    .manifest(counted.filename(), BackupClass.ON_DEMAND))).contentLength();
            t = System.nanoTime();
            BackupService.Outcome o = b.backup(uncounted);
            add(ms, "backup uncounted", Benchmark.millisSince(t));
            b.download(source.s3, o.filename(), file);
            PgTools.Installation restoreTool = b.restoreToolFor(o.pgDumpVersion());
            restoreVersion = restoreTool.version();
            add(ms, "restore -j1 alone", b.baselines.pgRestore(restoreTool, file, 1));
            add(ms, "restore -j2 alone", b.baselines.pgRestore(restoreTool, file, 2));
            Files.deleteIfExists(file);
            t = System.nanoTime();
            RestoreService.Outcome r = b.restore(streaming, o.filename());
            add(ms, "restore streamed", Benchmark.millisSince(t));
            Benchmark.collect(restoreSteps, r.timings());
            b.dropPreRestoreCopies(streaming);
            t = System.nanoTime();
            b.restore(parallel, o.filename());
            add(ms, "restore parallel", Benchmark.millisSince(t));
            b.dropPreRestoreCopies(parallel);
            b.purge(source.s3, Set.of());
            System.out.printf("  run %d of %d done%n", run + 1, Benchmark.RUNS);
        }
        System.out.printf("pg_dump %s, pg_restore %s%n", dumpTool.version(), restoreVersion);
        report(ms, manifestBytes, backupSteps, restoreSteps);
        pg.dropDatabase(TARGET);
        pg.dropDatabase(DB);
    }

    /** The product against the bare tools, per table; whether its manifest can still be read; its steps. */
    private void report(Map<String, List<Long>> ms, long manifestBytes, Map<String, List<Long>> backupSteps,
            Map<String, List<Long>> restoreSteps) {
        Report.Table t = new Report.Table("", "bare tool ms", "product ms", "product / bare", "bare ms per table",
                "product ms per table", "product's extra ms per table");
        row(t, "backup (pg_dump alone -> file / product -> S3)", ms.get("dump alone"), ms.get("backup"));
        row(t, "backup, RECORD_ROW_COUNTS=false", ms.get("dump alone"), ms.get("backup uncounted"));
        row(t, "restore (pg_restore -j1 --single-transaction <- file / product, streamed)",
                ms.get("restore -j1 alone"), ms.get("restore streamed"));
        row(t, "restore (pg_restore -j2 <- file / product, parallel: download, -j2)", ms.get("restore -j2 alone"),
                ms.get("restore parallel"));
        t.print();
        System.out.println();
        System.out.printf("The manifest with row counts: %,d bytes; a restore reads at most %,d (%s).%n%n",
                manifestBytes, ObjectStore.MAX_SMALL_OBJECT, manifestBytes > ObjectStore.MAX_SMALL_OBJECT
                        ? "a backup taken with RECORD_ROW_COUNTS=true, the default, cannot be restored"
                        : "restorable");
        steps("backup", backupSteps);
        steps("restore, streamed", restoreSteps);
    }

    /** The product's steps, to see which of them grow with the number of tables. */
    private void steps(String what, Map<String, List<Long>> steps) {
        Report.Table t = new Report.Table(what + " step", "median ms", "ms per table");
        steps.forEach((step, times) -> t.row(step, Report.ms(Report.median(times)),
                String.format("%.3f", (double) Report.median(times) / tables)));
        t.print();
        System.out.println();
    }

    private void row(Report.Table t, String what, List<Long> bare, List<Long> product) {
        long bareMs = Report.median(bare);
        long productMs = Report.median(product);
        t.row(what, Report.ms(bareMs), Report.ms(productMs), Report.ratio(productMs, bareMs),
                String.format("%.2f", (double) bareMs / tables), String.format("%.2f", (double) productMs / tables),
                String.format("%.2f", (double) (productMs - bareMs) / tables));
    }

    /** One transaction per schema: a single one for all would need a lock per table and sequence at once. */
    static void seed(TestPostgres pg, String db) {
        pg.dropDatabase(db);
        pg.createDatabase(db);
        for (int s = 0; s < SCHEMAS; s++) {
            String schema = name63(String.format("tenant_%03d", s));
            pg.execute(db, String.format("""
                    set role %s;
                    create schema "%s";
                    do $$
                    declare
                        t text;
                    begin
                        for i in 1..%d loop
                            t := format('%%I.%%I', '%s', substr(format('orders_%%s_%%s', i, repeat('x', 63)), 1, 63));
                            execute format('create table %%s (id bigint generated by default as identity primary key,
                                tenant integer not null, label text, amount numeric(12, 2),
                                created timestamptz not null default ''2024-01-01 00:00+00'', attrs jsonb)', t);
                            execute format('create index on %%s (created)', t);
                            execute format('insert into %%s (tenant, label, amount, attrs) select g, ''row '' || g,
                                g * 1.5, jsonb_build_object(''g'', g) from generate_series(1, %d) g', t);
                        end loop;
                    end $$;
                    """, TestPostgres.APP_USER, schema, PER_SCHEMA, schema, ROWS));
        }
    }

    private static void add(Map<String, List<Long>> m, String k, long v) {
        m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }
}
