package dev.pgbackup.common.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;

/**
 * A started pg_dump / pg_restore / psql. Keeps what its stderr says about a failure ({@link ToolOutput}: the
 * problem lines, bounded whatever the tool writes) and guarantees that {@link #destroy()} leaves no child blocked
 * on a full pipe, whatever went wrong.
 */
public final class RunningTool implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Thread stderrReader;
    private final ToolOutput stderr;

    private RunningTool(String name, Process process, java.util.function.Consumer<String> lines) {
        this.name = name;
        this.process = process;
        this.stderr = new ToolOutput(lines);
        this.stderrReader = new Thread(this::collectStderr, name + "-stderr");
        this.stderrReader.setDaemon(true);
        this.stderrReader.start();
    }
    static RunningTool start(ProcessBuilder builder, String name, java.util.function.Consumer<String> stderrLines)
            throws IOException {
        return new RunningTool(name, builder.start(), stderrLines);
    }

    String name() {
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
        byte[] buffer = new byte[8192];
        try (InputStream err = process.getErrorStream()) {
            int n;
            while ((n = err.read(buffer)) > 0) {
                stderr.accept(buffer, n);
            }
        } catch (IOException ignored) {
            // the process was destroyed; what we have is what there is
        } finally {
            stderr.finish();
        }
    }

    /**
     * What the tool's stderr says about its failure (its error, detail and hint lines, each cut to a few hundred
     * characters, else its last lines), never empty; not scrubbed: callers scrub it of the job's secrets.
     */
    public String diagnostic() {
        return stderr.diagnostic(name);
    }

    /** The tool's first warnings, not scrubbed (callers scrub them), once it has exited. */
    public java.util.List<String> warnings() {
        return stderr.warnings();
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
