package dev.pgbackup.bench;

import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.testsupport.TestPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy that holds every byte for half a round trip in each direction: the network between a Lambda function
 * and its RDS instance, which loopback does not have. A restore of thousands of small tables sends a statement per
 * object and waits for each answer, so on a network its time follows the round trip, not the server's work; the
 * benchmark routes every client (the product's and the tools') through this when {@code BENCH_PG_RTT_US} is set.
 * Latency only: bytes are forwarded as they came, in order, with no limit on bandwidth. The kernel's timers wake a
 * little late (tens of microseconds here), so the benchmark measures the round trip it got and prints that. It
 * serves until the benchmark's JVM ends.
 */
final class LatencyProxy {
    private static final byte[] END = new byte[0];
    private final ServerSocket listener;
    private final int targetPort;
    private final long oneWayNanos;

    private LatencyProxy(int targetPort, long roundTripMicros) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.oneWayNanos = roundTripMicros * 1000 / 2;
    }

    /** A proxy on a free loopback port in front of {@code targetPort}, adding {@code roundTripMicros} to each trip. */
    static LatencyProxy start(int targetPort, long roundTripMicros) throws IOException {
        LatencyProxy proxy = new LatencyProxy(targetPort, roundTripMicros);
        daemon("latency-proxy-accept", proxy::accept);
        return proxy;
    }

    int port() {
        return listener.getLocalPort();
    }

    /** The round trip the application's connections get, and loopback's beside it when a proxy is in between. */
    static String describe(TestPostgres pg, long addedMicros) throws SQLException {
        DbConnection routed = pg.connection("postgres");
        DbConnection direct = new DbConnection("127.0.0.1", pg.port(), "postgres", TestPostgres.APP_USER,
                TestPostgres.APP_PASSWORD, "disable");
        return addedMicros == 0 ? String.format("loopback, %d µs a round trip", roundTripMicros(direct))
                : String.format("BENCH_PG_RTT_US=%d: %d µs a round trip through the proxy, %d µs on loopback",
                        addedMicros, roundTripMicros(routed), roundTripMicros(direct));
    }

    private static long roundTripMicros(DbConnection db) throws SQLException {
        List<Long> trips = new ArrayList<>();
        try (Connection c = db.open(); Statement s = c.createStatement()) {
            for (int i = 0; i < 220; i++) {
                long start = System.nanoTime();
                s.execute("select 1");
                if (i >= 20) {
                    trips.add((System.nanoTime() - start) / 1000);
                }
            }
        }
        return Report.median(trips);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server;
                try {
                    server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                } catch (IOException e) {
                    closeQuietly(client);
                    throw e;
                }
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                AtomicInteger open = new AtomicInteger(2);
                Runnable ended = () -> {
                    if (open.decrementAndGet() == 0) {
                        closeQuietly(client);
                        closeQuietly(server);
                    }
                };
                forward(client, server, ended);
                forward(server, client, ended);
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    System.err.println("latency proxy: " + e);
                }
            }
        }
    }

    /** Bytes read from {@code from} are written to {@code to} half a round trip after they arrived. */
    private void forward(Socket from, Socket to, Runnable ended) {
        // bounded (64 reads of at most 64 KiB): a client sending faster than the server takes (COPY) waits
        BlockingQueue<Held> held = new LinkedBlockingQueue<>(64);
        daemon("latency-proxy-read", () -> {
            byte[] buffer = new byte[64 * 1024];
            try {
                InputStream in = from.getInputStream();
                for (int n; (n = in.read(buffer)) > 0;) {
                    held.put(new Held(Arrays.copyOf(buffer, n), System.nanoTime() + oneWayNanos));
                }
            } catch (IOException ignored) {
                // the other side closed or reset: what was read is still delivered, then the end
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                held.put(new Held(END, System.nanoTime() + oneWayNanos));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        daemon("latency-proxy-write", () -> {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Held next = held.take();
                    for (long wait; (wait = next.due - System.nanoTime()) > 0;) {
                        LockSupport.parkNanos(wait);
                    }
                    if (next.bytes == END) {
                        to.shutdownOutput();
                        ended.run();
                        return;
                    }
                    out.write(next.bytes);
                    out.flush();
                }
            } catch (IOException | InterruptedException ignored) {
                closeQuietly(from);
                closeQuietly(to);
                drain(held); // the reader may be waiting for room: it reads its closed socket next, and ends
            }
        });
    }

    private static void drain(BlockingQueue<Held> held) {
        try {
            while (held.take().bytes != END) {
                // dropped: the other side is gone
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private record Held(byte[] bytes, long due) {}
}
