package dev.pgbackup.bench;

import dev.pgbackup.testsupport.TestPostgres;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code BENCH_DATA=random}: a database of incompressible bytes (one table of 1 MiB bytea rows from pgcrypto's
 * {@code gen_random_bytes}), so that the archive is about as large as the database: the realistic mix compresses about
 * 4:1, and a 5 GB archive of it would need a 20 GB database this machine cannot hold beside its restores.
 */
final class RandomSeed {
    private static final int ROW_KIB = 1024;
    private static final int ROWS_PER_BATCH = 64;

    private RandomSeed() {}

    /** Creates {@code database} with about {@code targetBytes} of random rows; returns pg_database_size. */
    static long seed(TestPostgres pg, String database, long targetBytes) throws Exception {
        long start = System.nanoTime();
        pg.createDatabase(database);
        // stored out of line and uncompressed: pglz would try, and fail, to compress every value
        pg.execute(database, """
                create extension pgcrypto;
                set role app_owner;
                create table blobs (id bigint primary key, data bytea not null);
                alter table blobs alter column data set storage external;
                """);
        long rows = Math.max(1, targetBytes / (ROW_KIB * 1024L));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> batches = new ArrayList<>();
        try {
            for (long from = 1; from <= rows; from += ROWS_PER_BATCH) {
                long to = Math.min(rows, from + ROWS_PER_BATCH - 1);
                // "0 * g" makes the sub-select correlated, so every row gets its own bytes
                String sql = "set role app_owner; set synchronous_commit = off; "
                        + "insert into blobs select g, (select string_agg(gen_random_bytes(1024), ''::bytea) "
                        + "from generate_series(1 + 0 * g, " + ROW_KIB + ")) from generate_series(" + from + ", " + to
                        + ") g";
                batches.add(pool.submit(() -> pg.execute(database, sql)));
            }
            for (Future<?> f : batches) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        // the restores need nothing the product's role may not create
        pg.execute(database, "drop extension pgcrypto");
        pg.execute(database, "vacuum (analyze)");
        pg.admin("checkpoint");
        long bytes = Seeder.size(pg, database);
        System.out.printf("  seeded %s: %d random rows of %d KiB, %.1f MB (pg_database_size) in %.0f s%n", database,
                rows, ROW_KIB, bytes / 1e6, (System.nanoTime() - start) / 1e9);
        return bytes;
    }
}
