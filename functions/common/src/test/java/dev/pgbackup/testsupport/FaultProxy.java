package dev.pgbackup.testsupport;

import static dev.pgbackup.testsupport.HttpWire.BUFFER;
import static dev.pgbackup.testsupport.HttpWire.closeQuietly;
import static dev.pgbackup.testsupport.HttpWire.lowerCase;
import static dev.pgbackup.testsupport.HttpWire.parseLength;
import static dev.pgbackup.testsupport.HttpWire.readChunked;
import static dev.pgbackup.testsupport.HttpWire.readHeaders;
import static dev.pgbackup.testsupport.HttpWire.readLine;
import static dev.pgbackup.testsupport.HttpWire.skip;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * An HTTP/1.1 reverse proxy in front of moto (or any HTTP endpoint) that records every request and injects faults by rule.
 *
 * <p>Point the SDK clients at {@link #endpoint()} instead of moto (path-style S3, SSM JSON protocol). Both sides are
 * plain sockets with a small HTTP/1.1 parser, so the proxy controls the raw connection: it can answer instead of
 * moto, close the socket without an answer, or cut a response body short. Bodies are streamed byte for byte in both
 * directions (only a chunked request body is collected and sent on with a Content-Length); all headers pass except
 * the hop-by-hop ones. The client side keeps connections alive; each request goes to the upstream on a new
 * connection. {@code Expect: 100-continue} is answered by the proxy itself and not forwarded.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start(MotoServer.get().endpoint())) {
 *     FaultProxy.Rule rule = proxy.when(FaultProxy.s3("PUT", ".*\\.dump", "partNumber")).afterPasses(1).times(10)
 *             .respondS3Error(500, "InternalError", "injected");
 *     ...
 *     assertEquals(3, rule.injected());
 * }
 * }</pre>
 *
 * <p>Rules are consulted in the order they were made: a rule whose predicate matches counts the request, and the first
 * one whose window (after its passes, within its times) covers it decides what happens to it (the rules after it do
 * not see that request). A rule with only a {@link Rule#delay} forwards after the delay, one
 * with only a {@link Rule#holdUntil} once its gate opens. The fault is recorded on the
 * request as soon as it is decided, its status once the answer is complete (0 if none was given).
 *
 * <p>What the clients make of the faults (AWS SDK 2.57, see FaultProxyFaultsTest): the url-connection client takes a body
 * cut short by an orderly close ({@link Rule#truncateResponseAfter}) as a clean end of stream unless the download is
 * checksum-validated; it resends a body-less request (GET, HEAD, DELETE) once by itself when the connection is
 * dropped, so such a request counts two drops per SDK attempt.
 */
public final class FaultProxy extends FaultRules implements AutoCloseable {
    private final Upstream upstream;
    private final ServerSocket server;
    private final URI endpoint;
    private final ExecutorService threads;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final List<AtomicReference<Request>> recorded = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;

    private FaultProxy(URI upstream) throws IOException {
        this.upstream = new Upstream(upstream, open);
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        this.endpoint = URI.create("http://127.0.0.1:" + server.getLocalPort());
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fault-proxy-" + server.getLocalPort() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        threads.execute(this::acceptLoop);
    }

    /** Starts a proxy on 127.0.0.1 (random port) that forwards to {@code upstream} (http://host:port). */
    public static FaultProxy start(URI upstream) {
        try {
            return new FaultProxy(upstream);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the fault proxy", e);
        }
    }

    /** Where the clients should send their requests. */
    public URI endpoint() {
        return endpoint;
    }

    /** Where the proxy forwards to. */
    public URI upstream() {
        return upstream.uri();
    }

    /** Every request so far, in arrival order (the ones still in flight with status 0). */
    public List<Request> requests() {
        synchronized (recorded) {
            List<Request> copy = new ArrayList<>(recorded.size());
            for (AtomicReference<Request> r : recorded) {
                copy.add(r.get());
            }
            return Collections.unmodifiableList(copy);
        }
    }

    /** The recorded requests that match. */
    public List<Request> requests(Predicate<Request> match) {
        return requests().stream().filter(match).toList();
    }

    /** The recorded writes ({@link Request#isWrite()}). */
    public List<Request> writes() {
        return requests(Request::isWrite);
    }

    public void clearRequests() {
        recorded.clear();
    }

    // ------------------------------------------------------------------------------------------------ serving

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            open.add(client);
            try {
                threads.execute(() -> serve(client));
            } catch (RuntimeException rejected) {
                closeQuietly(client);
            }
        }
    }

    private void serve(Socket client) {
        try {
            client.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(client.getInputStream(), BUFFER);
            OutputStream out = new BufferedOutputStream(client.getOutputStream(), BUFFER);
            while (!closed) {
                if (!exchange(client, in, out)) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client went away, or the connection was cut on purpose
        } finally {
            open.remove(client);
            closeQuietly(client);
        }
    }

    /** A request read off a client connection and recorded; {@code slot} holds its record as it is answered. */
    private record Incoming(Request request, AtomicReference<Request> slot, String target, List<String[]> headers,
            boolean keepAlive) {
        void answered(int status, String description) {
            slot.set(request.answered(status, description));
        }
    }

    /** One request on a client connection; false when the connection is to be closed. */
    private boolean exchange(Socket client, InputStream in, OutputStream out) throws IOException {
        Incoming incoming = receive(in, out);
        if (incoming == null) {
            return false;
        }
        Request request = incoming.request();
        Fault fault = decide(request);
        Action action = fault == null ? Action.FORWARD : fault.action();
        String description = fault == null ? null : fault.description();
        if (description != null) {
            incoming.answered(0, description); // recorded at once, should the connection fail
        }

        // the request body: answer an Expect ourselves, then either stream it (Content-Length) or collect it (chunked)
        Map<String, String> lower = request.headers();
        if ("100-continue".equalsIgnoreCase(lower.getOrDefault("expect", "").trim())) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
        boolean chunkedBody = lower.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked");
        long contentLength = chunkedBody ? -1 : parseLength(lower.get("content-length"));
        byte[] collected = chunkedBody ? readChunked(in) : null;

        if (fault != null && !fault.delay().isZero()) {
            sleep(fault.delay());
        }
        if (fault != null && fault.gate() != null) {
            await(fault.gate());
        }
        if (action == Action.RESPOND || action == Action.DROP) {
            return answerInstead(in, out, incoming, fault, contentLength);
        }
        long truncateAfter = action == Action.TRUNCATE || action == Action.RESET ? fault.truncateAfter() : -1;
        try {
            int status = upstream.forward(request.method(), incoming.target(), incoming.headers(), in, contentLength,
                    collected, out, incoming.keepAlive(), truncateAfter);
            incoming.answered(status, description);
            return incoming.keepAlive();
        } catch (Upstream.Truncated t) {
            incoming.answered(t.status, description);
            if (action == Action.RESET) {
                client.setSoLinger(true, 0);
            }
            return false; // serve() closes the socket in the middle of the body
        }
    }

    /** Reads and records the next request; null at the end of the connection (or after answering a bad one). */
    private Incoming receive(InputStream in, OutputStream out) throws IOException {
        String requestLine = readLine(in);
        while (requestLine != null && requestLine.isEmpty()) {
            requestLine = readLine(in); // tolerated: stray CRLF between requests
        }
        if (requestLine == null) {
            return null;
        }
        String[] parts = requestLine.split(" ");
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            FaultAnswers.writeSimple(out, 400, "text/plain",
                    ("bad request line: " + requestLine).getBytes(StandardCharsets.UTF_8), false, true);
            return null;
        }
        String method = parts[0];
        String target = parts[1];
        boolean http10 = parts[2].equals("HTTP/1.0");
        List<String[]> headers = readHeaders(in);
        Map<String, String> lower = lowerCase(headers);

        String path = target;
        String query = null;
        int q = target.indexOf('?');
        if (q >= 0) {
            path = target.substring(0, q);
            query = target.substring(q + 1);
        }
        if (path.startsWith("http://") || path.startsWith("https://")) { // absolute form
            URI u = URI.create(path);
            path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
        }
        Request request = new Request(method, path, query, Collections.unmodifiableMap(lower), 0, null);
        AtomicReference<Request> slot = new AtomicReference<>(request);
        recorded.add(slot);

        String connection = lower.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
        boolean keepAlive = http10 ? connection.contains("keep-alive") : !connection.contains("close");
        return new Incoming(request, slot, target, headers, keepAlive);
    }

    /** The respond and drop faults: the request body is read and dropped, then an answer is given, or none. */
    private static boolean answerInstead(InputStream in, OutputStream out, Incoming incoming, Fault fault,
            long contentLength) throws IOException {
        if (contentLength > 0) {
            skip(in, contentLength);
        }
        if (fault.action() == Action.DROP) {
            incoming.answered(0, fault.description());
            return false; // serve() closes the socket without a word
        }
        FaultAnswers.writeSimple(out, fault.status(), fault.contentType(), fault.body(),
                incoming.request().method().equals("HEAD"), !incoming.keepAlive());
        incoming.answered(fault.status(), fault.description());
        return incoming.keepAlive();
    }

    private static void await(java.util.concurrent.CountDownLatch gate) {
        try {
            gate.await(5, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        for (Socket s : open) {
            closeQuietly(s);
        }
        threads.shutdownNow();
    }
}
