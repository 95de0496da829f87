package dev.pgbackup.bench;

import dev.pgbackup.testsupport.TestPostgres;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The databases of {@link Shapes} that the other parts do not already seed: one big table with indexes, and a wide
 * table of large values. Text comes from {@link Seeder}'s skewed vocabulary, so that it compresses as real text
 * does; bytea is half random (an image, a PDF) and half repetitive.
 */
final class ShapeSeeds {
    /** Rows of the big table (2,000,000: about 520 MB with its indexes). */
    static final long BIG_ROWS = Long.parseLong(Benchmark.env("BENCH_BIG_ROWS", "2000000"));
    /** Rows of the wide table (30,000: about 400 MB, mostly TOAST). */
    static final long WIDE_ROWS = Long.parseLong(Benchmark.env("BENCH_WIDE_ROWS", "30000"));
    private static final long BATCH = 50_000;

    private ShapeSeeds() {}

    /**
     * One table of {@link #BIG_ROWS} rows (an IoT or ledger shape: ids, a skewed device, times, a status, an amount,
     * a reference, a short note, a small jsonb) with three indexes: the primary key and two b-trees.
     */
    static void big(TestPostgres pg, String db) throws Exception {
        pg.createDatabase(db);
        pg.execute(db, """
                set role app_owner;
                create table readings (id bigint not null, device_id integer not null, recorded_at timestamptz not null,
                    status text not null, amount numeric(12,2) not null, ref text not null, note text not null,
                    attrs jsonb not null);
                """);
        inBatches(BIG_ROWS, BATCH, (from, to) -> pg.execute(db, "set role app_owner; set synchronous_commit = off;\n"
                + "insert into readings select g, (power(random(), 2) * 50000)::int, " + Seeder.TIME + ", "
                + Seeder.pick("ok", "ok", "warning", "late", "error", "retried")
                + ", round((random() * 10000)::numeric, 2), "
                + "upper(" + Seeder.token(16) + "), " + Seeder.sentence(3, 12) + ", jsonb_build_object('fw', "
                + "'1.' || (random() * 9)::int || '.' || (random() * 20)::int, 'temp', round((random() * 40)::numeric, 1), "
                + "'ok', random() < 0.95) from generate_series(" + from + ", " + to + ") g"));
        pg.execute(db, """
                set role app_owner;
                alter table readings add primary key (id);
                create index readings_device_at_idx on readings (device_id, recorded_at);
                create index readings_at_idx on readings (recorded_at);
                """);
        pg.execute(db, "vacuum (analyze) readings");
        pg.admin("checkpoint");
    }

    /**
     * {@link #WIDE_ROWS} rows of a document store: twelve small columns beside a long text body (about 6 KB), a
     * jsonb document (about 3 KB) and a bytea attachment (8 KB, half random): values stored out of line (TOAST).
     */
    static void wide(TestPostgres pg, String db) throws Exception {
        pg.createDatabase(db);
        pg.execute(db, """
                set role app_owner;
                create table attachments (id bigint primary key, owner_id bigint not null, created_at timestamptz not null,
                    updated_at timestamptz not null, kind text not null, state text not null, title text not null,
                    mime text not null, pages integer not null, size_bytes bigint not null, checksum text not null,
                    public boolean not null, body text not null, doc jsonb not null, blob bytea not null);
                """);
        inBatches(WIDE_ROWS, 2_000, (from, to) -> pg.execute(db, "set role app_owner; set synchronous_commit = off;\n"
                + "insert into attachments select g, (random() * 100000)::bigint, " + Seeder.TIME + ", " + Seeder.TIME
                + ", " + Seeder.pick("invoice", "report", "scan", "contract", "photo") + ", "
                + Seeder.pick("final", "draft", "archived") + ", initcap(" + Seeder.sentence(3, 8) + "), "
                + Seeder.pick("application/pdf", "image/jpeg", "image/png", "text/plain")
                + ", 1 + (random() * 40)::int, "
                + "(random() * 1e7)::bigint, md5(random()::text), random() < 0.3, " + Seeder.sentence(600, 1200) + ", "
                + "(select jsonb_agg(jsonb_build_object('line', i, 'sku', 'SKU-' || lpad(((random() * 99999)::int)::text, 5, '0'), "
                + "'name', initcap(" + Seeder.word() + "), 'qty', 1 + (random() * 9)::int, 'price', "
                + "round((random() * 500)::numeric, 2), 'note', " + Seeder.sentence(2, 6) + ")) "
                + "from generate_series(1, 20 + (random() * 20)::int + 0 * g) i), "
                + "(select decode(string_agg(md5(random()::text), ''), 'hex') from generate_series(1, 256 + 0 * g)) "
                + "|| decode(repeat('00ff10ef', 1024), 'hex') from generate_series(" + from + ", " + to + ") g"));
        pg.execute(db, "set role app_owner; create index attachments_owner_idx on attachments (owner_id)");
        pg.execute(db, "vacuum (analyze) attachments");
        pg.admin("checkpoint");
    }

    interface Batch {
        void insert(long from, long to) throws Exception;
    }

    /** Rows 1..{@code rows} in batches of {@code batch}, on two connections (the machine's two cores). */
    static void inBatches(long rows, long batch, Batch insert) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (long from = 1; from <= rows; from += batch) {
                long f = from;
                long t = Math.min(rows, from + batch - 1);
                done.add(pool.submit(() -> {
                    insert.insert(f, t);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static void seed(TestPostgres pg, String shape, String db) throws Exception {
        switch (shape) {
            case "big" -> big(pg, db);
            case "tables" -> ManyTables.seed(pg, db);
            case "mix" -> Seeder.seed(pg, db, Shapes.MIX_MB * 1_000_000L);
            case "wide" -> wide(pg, db);
            default -> throw new IllegalArgumentException(shape);
        }
    }

    /** The number of tables and the three largest, with their rows and sizes. */
    static String describe(TestPostgres pg, String db) {
        String tables = pg.query(db, "select count(*) from pg_stat_user_tables").get(0);
        return tables + " tables; largest: " + String.join(", ", pg.query(db, "select relname || ' ' || n_live_tup "
                + "|| ' rows/' || pg_size_pretty(pg_total_relation_size(relid)) from pg_stat_user_tables "
                + "order by pg_total_relation_size(relid) desc limit 3"));
    }
}
