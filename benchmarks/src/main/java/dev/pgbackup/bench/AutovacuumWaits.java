package dev.pgbackup.bench;

import dev.pgbackup.testsupport.TestPostgres;
import java.util.ArrayList;
import java.util.List;

/**
 * Autovacuum workers at work when an operation is about to be timed, waited out for up to a minute: what an earlier
 * operation left (a restored database's tables) must not be vacuumed on the cores the next one is timed on. The waits
 * of 100 ms or more are added up for the report.
 */
final class AutovacuumWaits {
    private final TestPostgres pg;
    private final List<Long> waits = new ArrayList<>();

    AutovacuumWaits(TestPostgres pg) {
        this.pg = pg;
    }

    void waitOut() {
        long t = System.nanoTime();
        for (int i = 0; i < 600 && busy() > 0; i++) {
            Benchmark.unchecked(() -> {
                Thread.sleep(100);
                return null;
            });
        }
        long waited = Benchmark.millisSince(t);
        if (waited >= 100) {
            waits.add(waited);
        }
    }

    private int busy() {
        return Integer.parseInt(pg.query("postgres", "select count(*) from pg_stat_activity "
                + "where backend_type = 'autovacuum worker'").get(0));
    }

    /** Prints the waits since the last report, and starts counting afresh. */
    void report() {
        System.out.printf("waited for autovacuum before %d operations, %,d ms in all%n", waits.size(),
                waits.stream().mapToLong(Long::longValue).sum());
        waits.clear();
    }
}
