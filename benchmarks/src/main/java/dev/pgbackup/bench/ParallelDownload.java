package dev.pgbackup.bench;

import static dev.pgbackup.bench.Benchmark.LONG;
import static dev.pgbackup.bench.Baselines.awsEnv;
import static dev.pgbackup.bench.Benchmark.heading;
import static dev.pgbackup.bench.Benchmark.millisSince;
import static dev.pgbackup.bench.Baselines.runPipe;

import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.testsupport.FaultProxy;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.TestStack;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * {@code BENCH_ONLY=download}: whether the parallel download fetches the parts of a multipart archive at once
 * (through {@link dev.pgbackup.testsupport.FaultProxy}).
 */
final class ParallelDownload {
    private final Benchmark bench;

    ParallelDownload(Benchmark bench) {
        this.bench = bench;
    }

    void measure() throws Exception {
        heading("Parallel download: does the SDK fetch the parts of a multipart archive at once? (FaultProxy in front of "
                + "moto, every GET of the object delayed 500 ms)");
        int parts = 6;
        String key = "bench-download-" + UUID.randomUUID() + ".bin";
        byte[] data = new byte[parts * 8 * 1024 * 1024];
        new Random(1).nextBytes(data);
        try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
            TestStack s = TestStack.create("production", bench.bucket, "bench_small", Map.of(), Clock.systemUTC(),
                    proxy.endpoint());
            s.wiring.archives.upload(key, new ByteArrayInputStream(data), Deadline.in(LONG), () -> {});
            String eTag = s.s3.headObject(b -> b.bucket(bench.bucket).key(key)).eTag();
            Integer partsCount = s.s3.headObject(b -> b.bucket(bench.bucket).key(key).partNumber(1)).partsCount();
            System.out
                    .printf("object: %d MiB uploaded by the product's multipart uploader (ETag %s); HEAD ?partNumber=1 "
                            + "reports parts count %s%n", data.length >> 20, eTag, partsCount);
            proxy.when(FaultProxy.s3("GET", Pattern.quote(key), null)).delay(Duration.ofMillis(500));
            Report.Table t = new Report.Table("download", "ms", "GET requests", "with partNumber", "with Range",
                    "most at once", "bytes");
            Path file = bench.work.resolve("download.bin");
            for (String who : List.of("product: S3Archives.download (SDK multipart, 8 parts in flight)",
                    "boto3 download_fileobj (ranged GETs, 10 threads)")) {
                proxy.clearRequests();
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicInteger most = new AtomicInteger();
                Thread sampler = startSampler(proxy, key, running, most);
                long t0 = System.nanoTime();
                long got;
                if (who.startsWith("product")) {
                    Files.deleteIfExists(file);
                    got = s.wiring.archives.download(key, eTag, file, Deadline.in(LONG)).bytes();
                } else {
                    got = runPipe(
                            List.of("/bin/bash", "-c", "set -o pipefail; \"$0\" \"$1\" download \"$2\" \"$3\" | wc -c",
                                    bench.python.toString(), bench.pipeScript.toString(), bench.bucket, key),
                            awsEnv(proxy.endpoint().toString()),
                            true);
                }
                long took = millisSince(t0);
                running.set(false);
                sampler.join();
                List<FaultProxy.Request> gets = proxy.requests(r -> r.method().equals("GET") && key.equals(r.key()));
                t.row(who, Report.ms(took), gets.size(),
                        gets.stream().filter(r -> r.hasQueryParam("partNumber")).count(),
                        gets.stream().filter(r -> r.header("range") != null).count(), most.get(), got);
            }
            t.print();
            Files.deleteIfExists(file);
            s.s3.deleteObject(b -> b.bucket(bench.bucket).key(key));
        }
        System.out
                .println("(S3 answers GET ?partNumber=N of a multipart object with part N and the parts count, and the "
                        + "SDK then fetches the other parts at once; moto answers it with the whole object and no parts count "
                        + "(only its HEAD gives the count), so against moto the product's parallel download is one GET)");
    }

    /** Counts the GETs of {@code key} in flight at the proxy every 5 ms, keeping the most, while {@code running}. */
    private static Thread startSampler(FaultProxy proxy, String key, AtomicBoolean running, AtomicInteger most) {
        Thread sampler = new Thread(() -> {
            while (running.get()) {
                int inFlight = proxy.requests(r -> r.method().equals("GET") && key.equals(r.key())
                        && r.status() == 0).size();
                most.accumulateAndGet(inFlight, Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        return sampler;
    }
}
