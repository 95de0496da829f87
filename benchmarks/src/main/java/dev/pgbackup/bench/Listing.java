package dev.pgbackup.bench;

import static dev.pgbackup.bench.Benchmark.LIST_BACKUPS;
import static dev.pgbackup.bench.Benchmark.env;
import static dev.pgbackup.bench.Benchmark.heading;
import static dev.pgbackup.bench.Benchmark.millisSince;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.list.ListBackupsHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * {@code BENCH_ONLY=list}: {@code GET /api/setting/backups} over BENCH_LIST_BACKUPS backups
 * ({@link dev.pgbackup.list.ListBackupsHandler}).
 */
final class Listing {
    private final Benchmark bench;

    Listing(Benchmark bench) {
        this.bench = bench;
    }

    void measure() throws Exception {
        heading("Listing at scale: GET /api/setting/backups over " + LIST_BACKUPS + " backups (ListBackupsHandler, "
                + "moto), warm: median of 5 after 2 warm-ups");
        String listBucket = "bench-list-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(listBucket);
        TestStack s = TestStack.create("staging", listBucket, "bench_list", Map.of());
        fill(s, listBucket);
        ListBackupsHandler handler = new ListBackupsHandler(s.wiring);
        String token = s.token("bench", "WEB_ACCESS");
        Report.Table t = new Report.Table("request", "median ms", "min ms", "max ms", "count in answer", "answer KB");
        for (String filter : new String[] {null, "production"}) {
            List<Long> times = new ArrayList<>();
            APIGatewayV2HTTPResponse last = null;
            for (int i = 0; i < 7; i++) {
                APIGatewayV2HTTPEvent event = ApiEvents.request("GET", "/api/setting/backups",
                        TestStack.bearer(token), null);
                if (filter != null) {
                    event.setQueryStringParameters(Map.of("environment", filter));
                    event.setRawQueryString("environment=" + filter);
                }
                long started = System.nanoTime();
                last = handler.handleRequest(event, new TestContext(Duration.ofSeconds(29)));
                if (i >= 2) {
                    times.add(millisSince(started));
                }
                if (last.getStatusCode() != 200) {
                    throw new IllegalStateException("listing answered " + last.getStatusCode() + ": " + last.getBody());
                }
            }
            Object count = Json.MAPPER.readValue(last.getBody(), Map.class).get("count");
            long median = Report.median(times);
            t.row("GET /api/setting/backups" + (filter == null ? "" : "?environment=" + filter), Report.ms(median),
                    Report.ms(times.stream().min(Long::compare).orElse(0L)),
                    Report.ms(times.stream().max(Long::compare).orElse(0L)), count,
                    String.format("%.0f", last.getBody().length() / 1024.0));
            if (filter == null) {
                bench.requirement("listing " + LIST_BACKUPS + " backups < 1 s (warm, moto)", median + " ms",
                        median < 1000);
            }
        }
        t.print();
    }

    /**
     * LIST_BACKUPS backups of this application over four environments with their manifests, and keys the listing must
     * pass over (another application's backups, job records, look-alike names), put in parallel.
     */
    private void fill(TestStack s, String listBucket) throws Exception {
        List<String> environments = List.of("production", "staging", "qa", "dev");
        List<String> keys = new ArrayList<>();
        Instant base = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < LIST_BACKUPS; i++) {
            String env = environments.get(i % environments.size());
            String name = BackupFiles.name(env, base.minusSeconds(600L * i));
            keys.add(name);
            keys.add(new StateKeys(TestStack.APP, env).manifest(name, i % 3 == 0 ? BackupClass.ON_DEMAND
                    : BackupClass.SCHEDULED));
        }
        int others = 0;
        for (int i = 0; i < 300; i++, others++) { // another application's backups in the shared bench.bucket
            keys.add(BackupName.create("otherapp", "production", java.time.ZoneId.of("Asia/Kolkata"), "IST",
                    base.minusSeconds(900L * i)).filename());
        }
        for (int i = 0; i < 200; i++, others++) { // job records, locks
            keys.add(new StateKeys(TestStack.APP, environments.get(i % 4)).job(UUID.randomUUID().toString()));
        }
        for (int i = 0; i < 100; i++, others++) { // same prefix, not a backup name
            keys.add(TestStack.APP + "-notes-" + i + ".txt");
        }
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> puts = new ArrayList<>();
        byte[] body = new byte[1024];
        for (String k : keys) {
            puts.add(pool.submit(() -> s.s3.putObject(b -> b.bucket(listBucket).key(k), RequestBody.fromBytes(body))));
        }
        for (Future<?> f : puts) {
            f.get();
        }
        pool.shutdown();
        System.out.printf("bucket %s: %d backups of this app (4 environments) + %d manifests + %d other keys = %d "
                + "objects (put in %.1f s)%n", listBucket, LIST_BACKUPS, LIST_BACKUPS, others, keys.size(),
                (System.nanoTime() - t0) / 1e9);
    }
}
