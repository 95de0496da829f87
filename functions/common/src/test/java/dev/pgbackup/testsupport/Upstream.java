package dev.pgbackup.testsupport;

import static dev.pgbackup.testsupport.HttpWire.BUFFER;
import static dev.pgbackup.testsupport.HttpWire.chunkSize;
import static dev.pgbackup.testsupport.HttpWire.closeQuietly;
import static dev.pgbackup.testsupport.HttpWire.copy;
import static dev.pgbackup.testsupport.HttpWire.lowerCase;
import static dev.pgbackup.testsupport.HttpWire.parseLength;
import static dev.pgbackup.testsupport.HttpWire.readHeaders;
import static dev.pgbackup.testsupport.HttpWire.readLine;
import static dev.pgbackup.testsupport.HttpWire.skip;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@link FaultProxy}'s forwarding: each request to the upstream on a new connection, the answer relayed byte
 * for byte, or cut short after a number of body bytes (the truncate and reset faults: {@link Truncated}).
 */
final class Upstream {
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade");
    private static final int UPSTREAM_TIMEOUT_MS = 120_000;

    private final URI upstream;
    private final String upstreamHost;
    private final int upstreamPort;
    /** The proxy's open sockets, closed when it closes. */
    private final Set<Socket> open;

    Upstream(URI upstream, Set<Socket> open) {
        this.upstream = upstream;
        this.upstreamHost = upstream.getHost();
        this.upstreamPort = upstream.getPort() > 0 ? upstream.getPort()
                : "https".equalsIgnoreCase(upstream.getScheme()) ? 443 : 80;
        if ("https".equalsIgnoreCase(upstream.getScheme())) {
            throw new IllegalArgumentException("plain HTTP upstreams only: " + upstream);
        }
        this.open = open;
    }

    URI uri() {
        return upstream;
    }

    /** A response cut short on purpose, after its status and headers were sent. */
    static final class Truncated extends IOException {
        final int status;

        Truncated(int status) {
            super("response truncated on purpose");
            this.status = status;
        }
    }

    /**
     * Sends the request upstream on a new connection and relays the answer; the status relayed, or 502 if the
     * upstream could not be reached. With {@code truncateAfter >= 0} the body is cut after that many bytes.
     */
    int forward(String method, String target, List<String[]> headers, InputStream clientIn,
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
                FaultAnswers.writeSimple(out, 502, "text/plain", ("fault proxy: upstream " + upstream
                        + " unreachable: " + e).getBytes(StandardCharsets.UTF_8), method.equals("HEAD"), !keepAlive);
                return 502;
            }
            open.add(up);
            sendRequest(up, method, target, headers, clientIn, contentLength, collected);
            return relayResponse(new BufferedInputStream(up.getInputStream(), BUFFER), method, out, keepAlive,
                    truncateAfter);
        } finally {
            open.remove(up);
            closeQuietly(up);
        }
    }

    private static void sendRequest(Socket up, String method, String target, List<String[]> headers,
            InputStream clientIn, long contentLength, byte[] collected) throws IOException {
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
    }

    private static int relayResponse(InputStream upIn, String method, OutputStream out, boolean keepAlive,
            long truncateAfter) throws IOException {
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
        writeResponseHead(out, statusLine, status, responseHeaders, reChunk, keepAlive);

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
    }

    private static void writeResponseHead(OutputStream out, String statusLine, int status,
            List<String[]> responseHeaders, boolean reChunk, boolean keepAlive)
            throws IOException {
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
}
