package dev.pgbackup.common.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A started pg_dump / pg_restore / psql. Keeps the last few KB of its stderr for failure messages and
 * guarantees that {@link #destroy()} leaves no child blocked on a full pipe, whatever went wrong.
 */
public final class RunningTool implements AutoCloseable {
    private static final int STDERR_TAIL_BYTES = 8 * 1024;

    private final String name;
    private final Process process;
    private final java.util.function.Consumer<String> lines;
    private final Thread stderrReader;
    private final byte[] tail = new byte[STDERR_TAIL_BYTES];
    private long stderrBytes;

    private RunningTool(String name, Process process, java.util.function.Consumer<String> lines) {
        this.name = name;
        this.process = process;
        this.lines = lines;
        this.stderrReader = new Thread(this::collectStderr, name + "-stderr");
        this.stderrReader.setDaemon(true);
        this.stderrReader.start();
    }

    static RunningTool start(ProcessBuilder builder, String name, java.util.function.Consumer<String> stderrLines)
            throws IOException {
        return new RunningTool(name, builder.start(), stderrLines);
    }

    public String name() {
        return name;
    }

    public InputStream stdout() {
        return process.getInputStream();
    }

    public OutputStream stdin() {
        return process.getOutputStream();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the exit; -1 when it did not exit in time (the caller then destroys it). */
    public int waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        if (!process.waitFor(timeout, unit)) {
            return -1;
        }
        stderrReader.join(TimeUnit.SECONDS.toMillis(5));
        return process.exitValue();
    }

    private void collectStderr() {
        byte[] buffer = new byte[4096];
        StringBuilder line = new StringBuilder();
        try (InputStream err = process.getErrorStream()) {
            int n;
            while ((n = err.read(buffer)) > 0) {
                synchronized (tail) {
                    for (int i = 0; i < n; i++) {
                        tail[(int) (stderrBytes++ % tail.length)] = buffer[i];
                    }
                }
                if (lines != null) {
                    feedLines(buffer, n, line);
                }
            }
        } catch (IOException ignored) {
            // the process was destroyed; what we have is what there is
        }
    }

    /** Hands complete stderr lines (pg_dump/pg_restore --verbose progress) to the listener; never throws. */
    private void feedLines(byte[] buffer, int n, StringBuilder line) {
        for (int i = 0; i < n; i++) {
            char c = (char) (buffer[i] & 0xff);
            if (c == '\n') {
                try {
                    lines.accept(line.toString());
                } catch (RuntimeException ignored) {
                    // a listener's problem must not stop the tool's stderr from being read
                }
                line.setLength(0);
            } else if (line.length() < 1000) {
                line.append(c);
            }
        }
    }

    /** The end of stderr, trimmed to whole lines. */
    public String stderrTail() {
        synchronized (tail) {
            int size = (int) Math.min(stderrBytes, tail.length);
            byte[] ordered = new byte[size];
            long start = stderrBytes - size;
            for (int i = 0; i < size; i++) {
                ordered[i] = tail[(int) ((start + i) % tail.length)];
            }
            String text = new String(ordered, StandardCharsets.UTF_8);
            if (stderrBytes > tail.length) {
                int nl = text.indexOf('\n');
                text = nl >= 0 ? text.substring(nl + 1) : text;
            }
            return text.strip();
        }
    }

    /** Kills the child and closes our ends of its pipes, so neither side can block for ever. */
    public void destroy() {
        process.destroyForcibly();
        closeQuietly(process.getOutputStream());
        closeQuietly(process.getInputStream());
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing a dead pipe
        }
    }

    /**
     * Ends the child and its stderr reader: on Lambda Managed Instances the JVM serves the next jobs, so
     * nothing of this one (a process, a thread) may outlive the invocation.
     */
    @Override
    public void close() {
        if (process.isAlive()) {
            destroy();
        }
        try {
            stderrReader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
