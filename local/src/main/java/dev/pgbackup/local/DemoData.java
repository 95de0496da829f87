package dev.pgbackup.local;

/**
 * A small demo schema with the kinds of objects a restore must bring back (tables, keys, an index, a
 * sequence, a view, a function, jsonb and bytea). {@code demo_info} records which environment's data the
 * database holds, so a cross-environment restore is visible at a glance.
 */
final class DemoData {
    private DemoData() {}

    static String schema() {
        return """
                create table demo_info (key text primary key, value text not null);
                create table medicines (
                    id bigserial primary key,
                    name text not null unique,
                    unit text not null,
                    attributes jsonb not null default '{}'
                );
                create sequence batch_numbers start 5000;
                create table stock_batches (
                    id bigserial primary key,
                    medicine_id bigint not null references medicines(id),
                    batch_no bigint not null default nextval('batch_numbers'),
                    quantity integer not null check (quantity >= 0),
                    expires_on date not null,
                    label bytea
                );
                create index stock_batches_expiry_idx on stock_batches(expires_on);
                create view expiring_soon as
                    select m.name, b.batch_no, b.quantity, b.expires_on
                    from stock_batches b join medicines m on m.id = b.medicine_id
                    where b.expires_on < current_date + 90;
                create function stock_of(medicine bigint) returns bigint language sql stable
                    as $$ select coalesce(sum(quantity), 0) from stock_batches where medicine_id = medicine $$;
                """;
    }

    /** {@code rows} stock batches over 50 medicines (about 150 bytes each, 32 of them random: not all of it compresses). */
    static String rows(String environment, int rows) {
        return """
                insert into demo_info values ('environment', '%1$s'), ('seeded_at', now()::text);
                insert into medicines(name, unit, attributes)
                    select 'Medicine ' || g, (array['tablet','ml','capsule'])[1 + g %% 3],
                           jsonb_build_object('schedule', 'H' || (g %% 3), 'environment', '%1$s')
                    from generate_series(1, 50) g;
                insert into stock_batches(medicine_id, quantity, expires_on, label)
                    select 1 + g %% 50, (g * 37) %% 1000, current_date + (g %% 720),
                           decode(md5(random()::text) || md5(random()::text) || md5(g::text || '%1$s'), 'hex')
                    from generate_series(1, %2$d) g;
                """.formatted(environment, rows);
    }
}
