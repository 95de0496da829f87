package dev.pgbackup.testsupport;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Pattern;

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
 * not see that request). A rule with only a {@link Rule#delay} forwards after the delay. The fault is recorded on the
 * request as soon as it is decided, its status once the answer is complete (0 if none was given).
 *
 * <p>What the clients make of the faults (AWS SDK 2.57, see FaultProxyTest): the url-connection client takes a body
 * cut short by an orderly close ({@link Rule#truncateResponseAfter}) as a clean end of stream unless the download is
 * checksum-validated; it resends a body-less request (GET, HEAD, DELETE) once by itself when the connection is
 * dropped, so such a request counts two drops per SDK attempt.
 */
public final class FaultProxy implements AutoCloseable {
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade");
    private static final int MAX_LINE = 64 * 1024;
    private static final int BUFFER = 64 * 1024;
    private static final int UPSTREAM_TIMEOUT_MS = 120_000;

    private final URI upstream;
    private final String upstreamHost;
    private final int upstreamPort;
    private final ServerSocket server;
    private final URI endpoint;
    private final ExecutorService threads;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final List<AtomicReference<Request>> recorded = Collections.synchronizedList(new ArrayList<>());
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private FaultProxy(URI upstream) throws IOException {
        this.upstream = upstream;
        this.upstreamHost = upstream.getHost();
        this.upstreamPort = upstream.getPort() > 0 ? upstream.getPort()
                : "https".equalsIgnoreCase(upstream.getScheme()) ? 443 : 80;
        if ("https".equalsIgnoreCase(upstream.getScheme())) {
            throw new IllegalArgumentException("plain HTTP upstreams only: " + upstream);
        }
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
        return upstream;
    }

    // ------------------------------------------------------------------------------------------------ recording

    /**
     * A recorded request: method, raw path (see {@link #key()} / {@link #s3Key} for the URL-decoded key), raw query
     * (null if none), all request headers with lower-case names (repeated ones joined with ","), the status answered
     * (0 while in flight, or when no answer was given) and the fault injected (null if it was forwarded untouched).
     */
    public record Request(String method, String path, String query, Map<String, String> headers, int status,
                          String fault) {

        /** PUT, DELETE, POST (S3 POST ?uploads / ?uploadId= / ?delete, SSM calls other than Get/Describe/List). */
        public boolean isWrite() {
            switch (method) {
                case "PUT":
                case "DELETE":
                    return true;
                case "POST": {
                    String target = ssmTarget();
                    if (target == null) {
                        return true;
                    }
                    String op = target.substring(target.lastIndexOf('.') + 1);
                    return !(op.startsWith("Get") || op.startsWith("Describe") || op.startsWith("List"));
                }
                default:
                    return false;
            }
        }

        /** The URL-decoded object key of a path-style S3 request on {@code bucket}, or null (other bucket, bucket-level call, SSM). */
        public String s3Key(String bucket) {
            return bucket.equals(bucket()) ? key() : null;
        }

        /** The bucket of a path-style S3 request, or null. */
        public String bucket() {
            if (ssmTarget() != null || path == null || path.length() < 2 || path.charAt(0) != '/') {
                return null;
            }
            int slash = path.indexOf('/', 1);
            return decode(slash < 0 ? path.substring(1) : path.substring(1, slash));
        }

        /** The URL-decoded object key of a path-style S3 request on any bucket, or null. */
        public String key() {
            if (ssmTarget() != null || path == null) {
                return null;
            }
            int slash = path.indexOf('/', 1);
            if (slash < 0 || slash == path.length() - 1) {
                return null;
            }
            return decode(path.substring(slash + 1));
        }

        /** X-Amz-Target (for example {@code AmazonSSM.GetParameter}), or null. */
        public String ssmTarget() {
            return headers.get("x-amz-target");
        }

        /** A request header (any case), or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** Whether the query has the parameter {@code name} (with or without a value). */
        public boolean hasQueryParam(String name) {
            return queryParam(name) != null;
        }

        /** The URL-decoded value of a query parameter ("" if it has none), or null if absent. */
        public String queryParam(String name) {
            if (query == null || query.isEmpty()) {
                return null;
            }
            for (String part : query.split("&")) {
                int eq = part.indexOf('=');
                String k = decode(eq < 0 ? part : part.substring(0, eq));
                if (k.equals(name)) {
                    return eq < 0 ? "" : decode(part.substring(eq + 1));
                }
            }
            return null;
        }

        public boolean injected() {
            return fault != null;
        }

        Request answered(int status, String fault) {
            return new Request(method, path, query, headers, status, fault);
        }

        @Override
        public String toString() {
            String target = ssmTarget();
            return method + " " + (target != null ? target : path + (query != null ? "?" + query : ""))
                    + " -> " + status + (fault != null ? " [" + fault + "]" : "");
        }
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

    // ------------------------------------------------------------------------------------------------ rules

    /** A new rule for the requests that match (it is active at once; until a fault is set it only counts). */
    public Rule when(Predicate<Request> match) {
        Rule rule = new Rule(match);
        rules.add(rule);
        return rule;
    }

    public void clearRules() {
        rules.clear();
    }

    /**
     * A path-style S3 request: {@code method} (null for any), the URL-decoded key matching {@code keyRegex} in full
     * (null for any, bucket-level requests included), and the query parameter {@code queryParamOrNull} present (a
     * leading '!' means: absent; e.g. {@code s3("PUT", k, "!partNumber")} is a PutObject and not an UploadPart).
     */
    public static Predicate<Request> s3(String method, String keyRegex, String queryParamOrNull) {
        Pattern key = keyRegex == null ? null : Pattern.compile(keyRegex);
        return r -> {
            if (r.ssmTarget() != null || (method != null && !method.equalsIgnoreCase(r.method()))) {
                return false;
            }
            if (key != null) {
                String k = r.key();
                if (k == null || !key.matcher(k).matches()) {
                    return false;
                }
            }
            if (queryParamOrNull != null) {
                boolean absent = queryParamOrNull.startsWith("!");
                String name = absent ? queryParamOrNull.substring(1) : queryParamOrNull;
                return r.hasQueryParam(name) != absent;
            }
            return true;
        };
    }

    /** An SSM call whose X-Amz-Target ends with {@code targetSuffix} (e.g. "GetParameter" for AmazonSSM.GetParameter). */
    public static Predicate<Request> ssm(String targetSuffix) {
        return r -> {
            String target = r.ssmTarget();
            if (target == null) {
                return false;
            }
            return target.equals(targetSuffix) || target.endsWith("." + targetSuffix);
        };
    }

    private enum Action { FORWARD, RESPOND, DROP, TRUNCATE, RESET }

    /** What happens to the requests a predicate matches. Set the window first, then the fault. */
    public final class Rule {
        private final Predicate<Request> match;
        private int passes;
        private int times = Integer.MAX_VALUE;
        private Duration delay = Duration.ZERO;
        private Action action = Action.FORWARD;
        private int status;
        private String contentType;
        private byte[] body;
        private long truncateAfter;
        private String what;
        private int matched;
        private int fired;

        private Rule(Predicate<Request> match) {
            this.match = match;
        }

        /** Lets the first {@code n} matching requests through untouched. */
        public synchronized Rule afterPasses(int n) {
            this.passes = n;
            return this;
        }

        /** Then injects the fault {@code n} times (default: for ever); later matches pass. */
        public synchronized Rule times(int n) {
            this.times = n;
            return this;
        }

        /** Waits this long before forwarding (or before the fault), for the requests in the rule's window. */
        public synchronized Rule delay(Duration d) {
            this.delay = d;
            return this;
        }

        /** Answers instead of the upstream. */
        public synchronized Rule respond(int status, String contentType, String body) {
            set(Action.RESPOND, "respond " + status);
            this.status = status;
            this.contentType = contentType;
            this.body = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /** Answers with an S3 XML error ({@code <Error><Code>code</Code><Message>message</Message>...}). */
        public Rule respondS3Error(int status, String code, String message) {
            return respondAs("S3 " + status + " " + code, status, "application/xml",
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + xml(code) + "</Code><Message>"
                            + xml(message) + "</Message><RequestId>fault-proxy</RequestId></Error>");
        }

        /** Answers with an SSM (AWS JSON 1.1) error: {@code {"__type": type, "message": message}}. */
        public Rule respondSsmError(int status, String type, String message) {
            return respondAs("SSM " + status + " " + type, status, "application/x-amz-json-1.1",
                    "{\"__type\":\"" + json(type) + "\",\"message\":\"" + json(message) + "\"}");
        }

        private synchronized Rule respondAs(String what, int status, String contentType, String body) {
            respond(status, contentType, body);
            set(Action.RESPOND, what);
            return this;
        }

        /** Reads the request, then closes the connection without any answer. */
        public synchronized Rule dropConnection() {
            set(Action.DROP, "dropConnection");
            return this;
        }

        /**
         * Forwards, sends the upstream's status and headers (the full Content-Length included) and the first
         * {@code bytes} of the body, then closes the connection.
         */
        public synchronized Rule truncateResponseAfter(long bytes) {
            set(Action.TRUNCATE, "truncateResponseAfter " + bytes);
            this.truncateAfter = bytes;
            return this;
        }

        /**
         * Like {@link #truncateResponseAfter} but ends the connection with a TCP reset (SO_LINGER 0) instead of an
         * orderly close: the client sees "Connection reset" (and may lose some of the bytes sent just before).
         */
        public synchronized Rule resetResponseAfter(long bytes) {
            set(Action.RESET, "resetResponseAfter " + bytes);
            this.truncateAfter = bytes;
            return this;
        }

        /** How many times this rule's fault (or delay) fired. */
        public synchronized int injected() {
            return fired;
        }

        /** How many requests matched the predicate so far (passed ones included). */
        public synchronized int matched() {
            return matched;
        }

        private void set(Action a, String what) {
            this.action = a;
            this.what = what;
        }

        /** Counts a matching request; the snapshot of what to do if it falls in the window, else null. */
        private synchronized Fault consider(Request r) {
            if (!match.test(r)) {
                return null;
            }
            matched++;
            if (matched <= passes || fired >= times || (action == Action.FORWARD && delay.isZero())) {
                return null;
            }
            fired++;
            String description = action == Action.FORWARD ? "delay " + delay
                    : delay.isZero() ? what : what + " after a delay of " + delay;
            return new Fault(action, delay, status, contentType, body, truncateAfter, description);
        }
    }

    /** A response cut short on purpose, after its status and headers were sent. */
    private static final class Truncated extends IOException {
        final int status;

        Truncated(int status) {
            super("response truncated on purpose");
            this.status = status;
        }
    }

    private record Fault(Action action, Duration delay, int status, String contentType, byte[] body,
                         long truncateAfter, String description) {
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

    /** One request on a client connection; false when the connection is to be closed. */
    private boolean exchange(Socket client, InputStream in, OutputStream out) throws IOException {
        String requestLine = readLine(in);
        while (requestLine != null && requestLine.isEmpty()) {
            requestLine = readLine(in); // tolerated: stray CRLF between requests
        }
        if (requestLine == null) {
            return false;
        }
        String[] parts = requestLine.split(" ");
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            writeSimple(out, 400, "text/plain", ("bad request line: " + requestLine).getBytes(StandardCharsets.UTF_8),
                    false, true);
            return false;
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

        Fault fault = null;
        for (Rule rule : rules) {
            fault = rule.consider(request);
            if (fault != null) {
                break;
            }
        }
        Action action = fault == null ? Action.FORWARD : fault.action();
        String description = fault == null ? null : fault.description();
        if (description != null) {
            slot.set(request.answered(0, description)); // recorded at once, should the connection fail
        }

        // the request body: answer an Expect ourselves, then either stream it (Content-Length) or collect it (chunked)
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

        if (action == Action.RESPOND || action == Action.DROP) {
            if (contentLength > 0) {
                skip(in, contentLength);
            }
            if (action == Action.DROP) {
                slot.set(request.answered(0, description));
                return false; // serve() closes the socket without a word
            }
            byte[] body = fault.body();
            writeSimple(out, fault.status(), fault.contentType(), body, method.equals("HEAD"), !keepAlive);
            slot.set(request.answered(fault.status(), description));
            return keepAlive;
        }

        long truncateAfter = action == Action.TRUNCATE || action == Action.RESET ? fault.truncateAfter() : -1;
        try {
            int status = forward(method, target, headers, in, contentLength, collected, out, keepAlive, truncateAfter);
            slot.set(request.answered(status, description));
            return keepAlive;
        } catch (Truncated t) {
            slot.set(request.answered(t.status, description));
            if (action == Action.RESET) {
                client.setSoLinger(true, 0);
            }
            return false; // serve() closes the socket in the middle of the body
        }
    }

    /**
     * Sends the request upstream on a new connection and relays the answer; the status relayed, or 502 if the
     * upstream could not be reached. With {@code truncateAfter >= 0} the body is cut after that many bytes.
     */
    private int forward(String method, String target, List<String[]> headers, InputStream clientIn,
                        long contentLength, byte[] collected, OutputStream out, boolean keepAlive,
                        long truncateAfter) throws IOException {
        Socket up = new Socket();
        try {
            try {
                up.connect(new InetSocketAddress(upstreamHost, upstreamPort), 10_000);
                up.setSoTimeout(UPSTREAM_TIMEOUT_MS);
                up.setTcpNoDelay(true);
            } catch (IOException e) {
                if (contentLength > 0) {
                    skip(clientIn, contentLength);
                }
                writeSimple(out, 502, "text/plain", ("fault proxy: upstream " + upstream + " unreachable: " + e)
                        .getBytes(StandardCharsets.UTF_8), method.equals("HEAD"), !keepAlive);
                return 502;
            }
            open.add(up);
            OutputStream upOut = new BufferedOutputStream(up.getOutputStream(), BUFFER);
            StringBuilder head = new StringBuilder();
            head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            for (String[] h : headers) {
                String name = h[0].toLowerCase(Locale.ROOT);
                if (HOP_BY_HOP.contains(name) || name.equals("expect")
                        || (collected != null && name.equals("content-length"))) {
                    continue;
                }
                head.append(h[0]).append(": ").append(h[1]).append("\r\n");
            }
            if (collected != null) {
                head.append("Content-Length: ").append(collected.length).append("\r\n");
            }
            head.append("Connection: close\r\n\r\n");
            upOut.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (collected != null) {
                upOut.write(collected);
            } else if (contentLength > 0) {
                copy(clientIn, upOut, contentLength);
            }
            upOut.flush();

            InputStream upIn = new BufferedInputStream(up.getInputStream(), BUFFER);
            String statusLine;
            List<String[]> responseHeaders;
            int status;
            do { // skip interim answers (we never forward an Expect, but a 1xx may still come)
                statusLine = readLine(upIn);
                if (statusLine == null) {
                    throw new EOFException("upstream closed without an answer");
                }
                String[] sp = statusLine.split(" ", 3);
                status = Integer.parseInt(sp[1]);
                responseHeaders = readHeaders(upIn);
            } while (status >= 100 && status < 200 && status != 101);
            Map<String, String> lower = lowerCase(responseHeaders);

            boolean noBody = method.equals("HEAD") || status == 204 || status == 304;
            boolean upChunked = lower.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked");
            long length = upChunked ? -1 : parseLength(lower.get("content-length"));
            boolean reChunk = !noBody && length < 0; // chunked upstream, or a body until EOF: chunked to the client

            String[] sp = statusLine.split(" ", 3);
            StringBuilder rh = new StringBuilder();
            rh.append("HTTP/1.1 ").append(status).append(' ').append(sp.length > 2 ? sp[2] : "").append("\r\n");
            for (String[] h : responseHeaders) {
                if (!HOP_BY_HOP.contains(h[0].toLowerCase(Locale.ROOT))) {
                    rh.append(h[0]).append(": ").append(h[1]).append("\r\n");
                }
            }
            if (reChunk) {
                rh.append("Transfer-Encoding: chunked\r\n");
            }
            if (!keepAlive) {
                rh.append("Connection: close\r\n");
            }
            rh.append("\r\n");
            out.write(rh.toString().getBytes(StandardCharsets.ISO_8859_1));

            if (noBody) {
                out.flush();
                return status;
            }
            long limit = truncateAfter >= 0 ? truncateAfter : Long.MAX_VALUE;
            boolean complete;
            if (upChunked) {
                complete = relayChunked(upIn, out, limit);
            } else if (length >= 0) {
                complete = relayFixed(upIn, out, length, limit);
            } else {
                complete = relayUntilEof(upIn, out, limit);
            }
            out.flush();
            if (!complete) {
                throw new Truncated(status);
            }
            return status;
        } finally {
            open.remove(up);
            closeQuietly(up);
        }
    }

    /** Copies a Content-Length body; false if it was cut at {@code limit}. */
    private static boolean relayFixed(InputStream in, OutputStream out, long length, long limit) throws IOException {
        long n = Math.min(length, limit);
        copy(in, out, n);
        return n == length;
    }

    /** Decodes the upstream's chunks and encodes them again for the client; false if cut at {@code limit}. */
    private static boolean relayChunked(InputStream in, OutputStream out, long limit) throws IOException {
        long sent = 0;
        byte[] buf = new byte[BUFFER];
        while (true) {
            long size = chunkSize(readLine(in));
            if (size == 0) {
                readHeaders(in); // trailers, dropped
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                return true;
            }
            long remaining = size;
            while (remaining > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                if (n < 0) {
                    throw new EOFException("upstream chunk cut short");
                }
                remaining -= n;
                if (sent + n > limit) {
                    int keep = (int) (limit - sent);
                    writeChunk(out, buf, keep);
                    return false;
                }
                writeChunk(out, buf, n);
                sent += n;
            }
            if (!readLine(in).isEmpty()) {
                throw new IOException("malformed chunk from upstream");
            }
        }
    }

    /** A body delimited by the upstream closing: chunked to the client; false if cut at {@code limit}. */
    private static boolean relayUntilEof(InputStream in, OutputStream out, long limit) throws IOException {
        long sent = 0;
        byte[] buf = new byte[BUFFER];
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (sent + n > limit) {
                writeChunk(out, buf, (int) (limit - sent));
                return false;
            }
            writeChunk(out, buf, n);
            sent += n;
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return true;
    }

    private static void writeChunk(OutputStream out, byte[] buf, int n) throws IOException {
        if (n <= 0) {
            return;
        }
        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(buf, 0, n);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void writeSimple(OutputStream out, int status, String contentType, byte[] body, boolean head,
                                    boolean close) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        if (contentType != null) {
            h.append("Content-Type: ").append(contentType).append("\r\n");
        }
        h.append("Content-Length: ").append(body.length).append("\r\n");
        h.append("x-amz-request-id: fault-proxy\r\n");
        h.append("x-amzn-RequestId: fault-proxy\r\n");
        if (close) {
            h.append("Connection: close\r\n");
        }
        h.append("\r\n");
        out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!head) {
            out.write(body);
        }
        out.flush();
    }

    // ------------------------------------------------------------------------------------------------ HTTP parsing

    /** A line without its CRLF (or LF), or null at end of stream before any byte. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
            if (line.size() > MAX_LINE) {
                throw new IOException("header line too long");
            }
        }
        if (line.size() == 0) {
            return null;
        }
        throw new EOFException("connection closed in the middle of a line");
    }

    private static List<String[]> readHeaders(InputStream in) throws IOException {
        List<String[]> headers = new ArrayList<>();
        while (true) {
            String line = readLine(in);
            if (line == null) {
                throw new EOFException("connection closed in the headers");
            }
            if (line.isEmpty()) {
                return headers;
            }
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && !headers.isEmpty()) { // obsolete folding
                String[] last = headers.get(headers.size() - 1);
                last[1] = last[1] + " " + line.trim();
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header: " + line);
            }
            headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
        }
    }

    private static Map<String, String> lowerCase(List<String[]> headers) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String[] h : headers) {
            m.merge(h[0].toLowerCase(Locale.ROOT), h[1], (a, b) -> a + "," + b);
        }
        return m;
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String line = readLine(in);
            if (line == null) {
                throw new EOFException("request body cut short");
            }
            long size = chunkSize(line);
            if (size == 0) {
                readHeaders(in); // trailers, dropped
                return body.toByteArray();
            }
            copy(in, body, size);
            String end = readLine(in);
            if (end == null || !end.isEmpty()) {
                throw new IOException("malformed chunked request body");
            }
        }
    }

    private static long chunkSize(String line) throws IOException {
        if (line == null) {
            throw new EOFException("chunked body cut short");
        }
        int semi = line.indexOf(';');
        String hex = (semi >= 0 ? line.substring(0, semi) : line).trim();
        try {
            return Long.parseLong(hex, 16);
        } catch (NumberFormatException e) {
            throw new IOException("bad chunk size: " + line);
        }
    }

    private static long parseLength(String value) {
        if (value == null) {
            return -1;
        }
        try {
            String v = value.contains(",") ? value.substring(0, value.indexOf(',')) : value;
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void copy(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(n, 1))];
        long remaining = n;
        while (remaining > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, remaining));
            if (r < 0) {
                throw new EOFException("body cut short: " + remaining + " of " + n + " bytes missing");
            }
            out.write(buf, 0, r);
            remaining -= r;
        }
    }

    private static void skip(InputStream in, long n) throws IOException {
        copy(in, OutputStream.nullOutputStream(), n);
    }

    private static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi >= 0 && lo >= 0) {
                    out.write(hi * 16 + lo);
                    i += 2;
                    continue;
                }
            }
            byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
            out.write(bytes, 0, bytes.length);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 409 -> "Conflict";
            case 412 -> "Precondition Failed";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "Status";
        };
    }

    private static String xml(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String json(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
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
