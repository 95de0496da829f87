package dev.pgbackup.testsupport;

/** A database with the kinds of objects a restore must bring back: tables, indexes, a sequence, a view, a function, jsonb, bytea. */
public final class SeedData {
    private SeedData() {}

    /** Creates the schema and {@code rows} orders (about 1 KB each, with random bytes that do not compress). */
    public static void seed(TestPostgres pg, String database, int rows, String marker) {
        installHelpers(pg, database);
        pg.execute(database, """
                set role app_owner;
                create table customers (
                    id bigserial primary key,
                    name text not null,
                    email text unique,
                    created_at timestamptz not null default now()
                );
                create sequence invoice_numbers start 1000;
                create table orders (
                    id bigserial primary key,
                    customer_id bigint references customers(id),
                    invoice bigint not null default nextval('invoice_numbers'),
                    details jsonb not null,
                    attachment bytea,
                    amount numeric(12,2) not null
                );
                create index orders_customer_idx on orders(customer_id);
                create index orders_details_idx on orders using gin (details);
                create view big_orders as select id, customer_id, amount from orders where amount > 500;
                create function order_total(c bigint) returns numeric language sql stable
                    as $$ select coalesce(sum(amount), 0) from orders where customer_id = c $$;
                """);
        pg.execute(database,
                "set role app_owner; insert into customers(name, email) select 'customer ' || g || ' " + marker
                        + "', 'c' || g || '@example.com' from generate_series(1, 200) g");
        pg.execute(database,
                "set role app_owner; insert into orders(customer_id, details, attachment, amount) select (g % 200) + 1, "
                        + "jsonb_build_object('sku', 'SKU-' || g, 'tags', jsonb_build_array('a', g), 'marker', '"
                        + marker + "'), "
                        + "decode(md5(g::text) || md5((g * 7)::text), 'hex') || gen_random_bytes_compat(960), (g % 1000)::numeric + 0.99 "
                        + "from generate_series(1, " + rows + ") g");
    }

    /**
     * Personal data a refresh must not carry into staging unmasked, on top of {@link #seed}: the customers' phone
     * numbers, their login sessions and API tokens (every value carries {@code marker}).
     */
    public static void seedPersonalData(TestPostgres pg, String database, String marker) {
        pg.execute(database, "set role app_owner;"
                + "alter table customers add column phone text;"
                + "update customers set phone = '+91 98' || lpad(id::text, 8, '0');"
                + "create table sessions (id bigserial primary key, customer_id bigint not null references customers(id),"
                + " token text not null, expires_at timestamptz not null default now() + interval '1 day');"
                + "insert into sessions(customer_id, token) select id, md5(id::text) || '-" + marker
                + "' from customers;"
                + "create table api_tokens (id bigserial primary key, customer_id bigint references customers(id),"
                + " token text not null unique);"
                + "insert into api_tokens(customer_id, token) select id, 'tok-" + marker + "-' || id from customers"
                + " where id % 3 = 0;");
    }

    /** Installs a pseudo-random bytes function without needing pgcrypto. */
    public static void installHelpers(TestPostgres pg, String database) {
        pg.execute(database, """
                set role app_owner;
                create or replace function gen_random_bytes_compat(n int) returns bytea language sql volatile as $$
                  select decode(string_agg(md5(random()::text), ''), 'hex')
                  from generate_series(1, greatest(1, n / 16))
                $$;
                """);
    }
}
