package dev.pgbackup.bench;

import dev.pgbackup.testsupport.TestPostgres;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A database of realistic entropy (not pgbench's repeated filler): customers, orders with jsonb line items and
 * addresses, an event log with jsonb details and free-text messages, and long documents with tag arrays and
 * jsonb metadata. Text is made of words drawn from a skewed (Zipf-like) syllable vocabulary, mixed with random
 * tokens (hex references, tracking codes, session ids, phone numbers, IPs); numerics and timestamps are random.
 * Indexes: five primary keys, a unique e-mail index, three b-tree indexes, a GIN index, two foreign keys.
 *
 * <p>Seeded with {@code generate_series} in batches on two connections until {@code pg_database_size} reaches
 * the target (before indexes, which add about {@link #INDEX_SHARE} of the total).
 */
final class Seeder {
    /** What the indexes and keys add to the loaded tables (calibrated on this data: about 10% of the total). */
    static final double INDEX_SHARE = 0.10;

    private static final String SYLLABLES = "(array['ka','lo','mi','ne','ra','tu','ven','sol','ar','en','is','or',"
            + "'pha','med','cin','tab','let','do','gen','ix','ol','ur','at','ion','ter','pre','con','dis','an','ine',"
            + "'be','sto'])";

    private Seeder() {}

    /** One word: two or three syllables, the first ones skewed towards a few frequent ones. */
    static String word() {
        return "(" + SYLLABLES + "[1 + (power(random(), 2.5) * 31)::int] || " + SYLLABLES
                + "[1 + (power(random(), 1.5) * 31)::int] || case when random() < 0.4 then " + SYLLABLES
                + "[1 + (random() * 31)::int] else '' end)";
    }

    /** {@code min..max} words, evaluated per row ({@code 0 * g} makes the sub-select correlated). */
    static String sentence(int min, int max) {
        return "array_to_string(array(select " + word() + " from generate_series(1, " + min + " + (random() * "
                + (max - min) + ")::int + 0 * g)), ' ')";
    }

    static String token(int chars) {
        return "substr(md5(random()::text), 1, " + chars + ")";
    }

    static String pick(String... values) {
        StringBuilder a = new StringBuilder("(array[");
        for (int i = 0; i < values.length; i++) {
            a.append(i == 0 ? "" : ",").append('\'').append(values[i]).append('\'');
        }
        // skewed: the first values are the common ones
        return a.append("])[1 + (power(random(), 2) * ").append(values.length - 1).append(")::int]").toString();
    }

    static final String TIME = "(timestamptz '2019-01-01 00:00:00+00' + random() * interval '6 years')";

    static final String SCHEMA = """
            set role app_owner;
            create table customers (id bigint not null, name text not null, email text not null, country text not null,
                phone text, created_at timestamptz not null, credit_limit numeric(12,2) not null, notes text);
            create table orders (id bigint not null, customer_id bigint not null, placed_at timestamptz not null,
                status text not null, total numeric(12,2) not null, currency text not null, items jsonb not null,
                shipping jsonb not null, notes text);
            create table events (id bigint not null, order_id bigint not null, at timestamptz not null,
                kind text not null, actor text not null, detail jsonb not null, message text not null);
            create table documents (id bigint not null, title text not null, body text not null, tags text[] not null,
                meta jsonb not null, created_at timestamptz not null, updated_at timestamptz not null);
            """;

    static final String INDEXES = """
            set role app_owner;
            alter table customers add primary key (id);
            create unique index customers_email_idx on customers (email);
            alter table orders add primary key (id);
            create index orders_customer_idx on orders (customer_id);
            create index orders_placed_idx on orders (placed_at);
            alter table events add primary key (id);
            create index events_order_at_idx on events (order_id, at);
            alter table documents add primary key (id);
            create index documents_tags_idx on documents using gin (tags);
            alter table orders add constraint orders_customer_fk foreign key (customer_id) references customers (id);
            alter table events add constraint events_order_fk foreign key (order_id) references orders (id);
            """;

    /** Batch {@code b} of {@code e} events (and e/5 orders, e/50 customers, e/20 documents); ids never overlap. */
    static String batch(int b, int e) {
        long c = e / 50;
        long o = e / 5;
        long d = e / 20;
        long c0 = b * c;
        long o0 = b * o;
        long e0 = (long) b * e;
        long d0 = b * d;
        String w = word();
        return "set role app_owner; set synchronous_commit = off;\n"
                + "insert into customers select g, initcap(" + w + ") || ' ' || initcap(" + w + "), "
                + "'c' || g || '.' || " + w + " || '@' || "
                + pick("example.com", "mail.test", "corp.example", "shop.test")
                + ", " + pick("IN", "US", "GB", "DE", "SG", "AE", "FR", "AU", "CA", "JP")
                + ", '+91 ' || lpad(((random() * 9999999999)::bigint)::text, 10, '0'), " + TIME
                + ", round((random() * 100000)::numeric, 2), " + sentence(3, 15)
                + " from generate_series(" + (c0 + 1) + ", " + (c0 + c) + ") g;\n"
                + "insert into orders select g, " + (c0 + 1) + " + (random() * " + (c - 1) + ")::bigint, " + TIME + ", "
                + pick("delivered", "shipped", "paid", "pending", "cancelled", "refunded")
                + ", round((random() * 5000)::numeric, 2), " + pick("INR", "USD", "EUR", "GBP")
                + ", (select jsonb_agg(jsonb_build_object('sku', 'SKU-' || lpad(((random() * 99999)::int)::text, 5, '0'), "
                + "'name', initcap(" + w + ") || ' ' || " + w + ", 'qty', 1 + (random() * 9)::int, "
                + "'price', round((random() * 500)::numeric, 2))) from generate_series(1, 1 + (random() * 4)::int + 0 * g)), "
                + "jsonb_build_object('street', (1 + random() * 998)::int || ' ' || initcap(" + w + ") || ' ' || "
                + pick("Road", "Street", "Lane", "Nagar", "Marg", "Avenue") + ", 'city', initcap(" + w + "), "
                + "'zip', lpad(((random() * 999999)::int)::text, 6, '0'), 'carrier', "
                + pick("BlueDart", "DHL", "FedEx", "IndiaPost", "UPS") + ", 'tracking', upper(" + token(12) + ")), "
                + "case when random() < 0.3 then null else " + sentence(2, 20) + " end"
                + " from generate_series(" + (o0 + 1) + ", " + (o0 + o) + ") g;\n"
                + "insert into events select g, " + (o0 + 1) + " + (random() * " + (o - 1) + ")::bigint, " + TIME + ", "
                + pick("viewed", "updated", "status_changed", "payment_received", "note_added", "email_sent",
                        "address_changed", "refund_requested", "item_added", "item_removed", "exported", "deleted")
                + ", case when random() < 0.2 then 'system' else 'user:' || (random() * 5000)::int end, "
                + "jsonb_build_object('ip', (random() * 223)::int || '.' || (random() * 255)::int || '.' || "
                + "(random() * 255)::int || '.' || (random() * 255)::int, 'agent', "
                + pick("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)",
                        "Mozilla/5.0 (Linux; Android 14)", "okhttp/4.12.0", "python-requests/2.32", "curl/8.5.0")
                + ", 'session', md5(random()::text), 'field', " + w + ", 'old', (random() * 1000)::int, "
                + "'new', (random() * 1000)::int, 'ok', random() < 0.9), "
                + sentence(4, 25) + " || ' #' || " + token(6)
                + " from generate_series(" + (e0 + 1) + ", " + (e0 + e) + ") g;\n"
                + "insert into documents select g, initcap(" + sentence(3, 8) + "), " + sentence(60, 250) + ", "
                + "array(select " + w + " from generate_series(1, 2 + (random() * 4)::int + 0 * g)), "
                + "jsonb_build_object('author', initcap(" + w + ") || ' ' || initcap(" + w + "), 'version', "
                + "1 + (random() * 20)::int, 'lang', " + pick("en", "hi", "de", "fr") + ", 'reviewed', random() < 0.5, "
                + "'ref', " + token(16) + "), " + TIME + ", " + TIME
                + " from generate_series(" + (d0 + 1) + ", " + (d0 + d) + ") g;\n";
    }

    /**
     * Creates {@code database} and fills it until its tables reach {@code (targetBytes - empty) * (1 - INDEX_SHARE)}
     * beyond the empty database, then adds the indexes and keys, vacuums and analyses. Returns pg_database_size.
     */
    static long seed(TestPostgres pg, String database, long targetBytes) throws Exception {
        pg.createDatabase(database);
        long empty = size(pg, database);
        pg.execute(database, SCHEMA);
        long goal = empty + (long) ((targetBytes - empty) * (1 - INDEX_SHARE));
        // batch size: about 5 MB of tables per batch, smaller for small targets so that the size is near the target
        int events = (int) Math.max(250, Math.min(10_000, 10_000L * (targetBytes - empty) / 200_000_000L));
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean full = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> workers = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < 2; t++) {
            workers.add(pool.submit(() -> {
                while (!full.get()) {
                    pg.execute(database, batch(next.getAndIncrement(), events));
                }
                return null;
            }));
        }
        try {
            while (!full.get()) {
                for (Future<?> f : workers) {
                    if (f.isDone()) {
                        f.get(); // a failed batch fails the seeding
                    }
                }
                if (size(pg, database) >= goal) {
                    full.set(true);
                }
                Thread.sleep(200);
            }
            for (Future<?> f : workers) {
                f.get();
            }
        } finally {
            full.set(true);
            pool.shutdownNow();
        }
        pg.execute(database, INDEXES);
        pg.execute(database, "vacuum (analyze)");
        pg.admin("checkpoint");
        long bytes = size(pg, database);
        System.out.printf("  seeded %s: %d batches of %d events, %.1f MB (pg_database_size) in %.0f s%n", database,
                next.get(), events, bytes / 1e6, (System.nanoTime() - start) / 1e9);
        return bytes;
    }

    static long size(TestPostgres pg, String database) {
        return Long.parseLong(pg.query(database, "select pg_database_size(current_database())").get(0));
    }

    /** Row counts and table sizes, for the header of a report. */
    static String describe(TestPostgres pg, String database) {
        return String.join(", ", pg.query(database, "select relname || ' ' || n_live_tup || ' rows/' || "
                + "pg_size_pretty(pg_total_relation_size(relid)) from pg_stat_user_tables order by relname"));
    }
}
