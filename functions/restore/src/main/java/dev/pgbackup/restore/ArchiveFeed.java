package dev.pgbackup.restore;

import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.db.RunningTool;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.MeasuredStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs pg_restore with its stdin fed straight from an archive read (S3 GetObject pinned to the checked
 * version): no temp file, memory bounded by one buffer, every byte hashed on the way. Whatever happens (the
 * tool exits early, S3 fails, the deadline passes) the child is killed, its pipes closed and the read
 * aborted, so neither a thread nor the JVM can stay blocked.
 */
final class ArchiveFeed {
    private static final int BUFFER = 256 * 1024;

    /**
     * How the tool ended; {@code exitCode} is -1 when it was killed at the deadline. {@code readError} is
     * an S3 read failure that happened while the tool was still running (not the abort that follows its
     * exit); {@code expectedBytes} is the object's size when the tool must consume the whole object, else -1.
     */
    record Result(int exitCode, boolean timedOut, String stdoutHead, long bytesFed, long expectedBytes,
            String readError, String diagnostic, long millis, String sha256) {
        /** Exit 0 in time, S3 read without error and, when the size is known, every byte of it fed. */
        boolean ok() {
            return exitCode == 0 && !timedOut && readError == null && !incomplete();
        }

        /** The whole object had to be fed, its size is known, and fewer (or more) bytes were fed. */
        boolean incomplete() {
            return expectedBytes >= 0 && bytesFed != expectedBytes;
        }
    }

    private ArchiveFeed() {}

    /**
     * @param connection  the libpq connection for the child's environment, or null for no connection
     * @param keepStdout  how many bytes of stdout to keep (the rest is read and dropped)
     * @param wholeObject whether the tool must read the whole object (a restore, {@code --file=/dev/null}),
     *                    so that feeding fewer bytes than the object's size is a failure; false for
     *                    {@code --list}, which stops after the table of contents
     */
    static Result run(PgTools tools, PgTools.Installation installation, List<String> args, DbConnection connection,
            Supplier<ArchiveStorage.Reading> source, Deadline deadline, int keepStdout, boolean wholeObject) {
        return run(tools, installation, args, connection, source, deadline, keepStdout, wholeObject, n -> {}, null,
                null, false);
    }

    /**
     * @param fedSoFar    told how many bytes have been fed (progress)
     * @param stderrLines the tool's stderr lines (its --verbose progress), or null
     * @param stdoutLines every line of stdout, however long it is (a table of contents of 100,000 tables is read
     *                    whole this way, without keeping it), or null
     * @param readToEnd   a tool that may stop reading once it has what it needs (pg_restore --use-list) exited 0: the
     *                    rest of the object is still read, and hashed, so the checksum covers all of it
     */
    static Result run(PgTools tools, PgTools.Installation installation, List<String> args, DbConnection connection,
            Supplier<ArchiveStorage.Reading> source, Deadline deadline, int keepStdout, boolean wholeObject,
            java.util.function.LongConsumer fedSoFar, java.util.function.Consumer<String> stderrLines,
            java.util.function.Consumer<String> stdoutLines, boolean readToEnd) {
        long started = System.nanoTime();
        RunningTool tool;
        try {
            tool = tools.start(installation, "pg_restore", args, connection, stderrLines);
        } catch (IOException e) {
            throw Failure.server(PgTools.PG_RESTORE_MISSING);
        }
        ArchiveStorage.Reading in = null;
        AtomicBoolean aborted = new AtomicBoolean();
        try (tool) {
            try {
                in = source.get();
            } catch (Failure f) {
                tool.destroy(); // the source's own verdict (a key this stack may not use): nothing was fed
                throw f;
            } catch (RuntimeException e) {
                // gone, or no longer the version that was checked (If-Match): nothing was fed
                tool.destroy();
                return new Result(-1, false, "", 0, -1, "opening the backup failed: " + e.getClass().getSimpleName(),
                        tool.diagnostic(), (System.nanoTime() - started) / 1_000_000, null);
            }
            MeasuredStream body = new MeasuredStream(in.stream());
            long size = in.length();
            long expected = wholeObject && size >= 0 ? size : -1;
            AtomicLong fed = new AtomicLong();
            AtomicReference<String> readError = new AtomicReference<>();
            ByteArrayOutputStream head = new ByteArrayOutputStream();

            Thread feeder = daemon("pg_restore-stdin", () -> feed(body, tool.stdin(), fed, readError, aborted, fedSoFar,
                    readToEnd));
            Thread drain = daemon("pg_restore-stdout", () -> drain(tool.stdout(), head, keepStdout, stdoutLines));
            feeder.start();
            drain.start();

            int code = exitCode(tool, deadline);
            boolean timedOut = code < 0;
            if (timedOut) {
                tool.destroy();
            } else if (code == 0 && readToEnd) {
                timedOut = !finish(feeder, deadline);
            }
            // the tool is gone: stop reading S3 (pg_restore --list stops after the table of contents)
            abort(in, aborted);
            join(feeder);
            join(drain);
            return new Result(code, timedOut, textOf(head), fed.get(), expected, readError.get(), tool.diagnostic(),
                    (System.nanoTime() - started) / 1_000_000, feeder.isAlive() ? null : body.sha256Hex());
        } finally {
            abort(in, aborted);
        }
    }

    /** The tool's exit code, or -1 when the deadline passed (or this thread was interrupted) first. */
    private static int exitCode(RunningTool tool, Deadline deadline) {
        try {
            return tool.waitFor(deadline.remaining().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String textOf(ByteArrayOutputStream head) {
        synchronized (head) {
            return head.toString(StandardCharsets.UTF_8);
        }
    }

    private static void feed(InputStream in, OutputStream out, AtomicLong fed, AtomicReference<String> readError,
            AtomicBoolean aborted, java.util.function.LongConsumer fedSoFar, boolean readToEnd) {
        byte[] buffer = new byte[BUFFER];
        boolean writing = true;
        try {
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (IOException | RuntimeException e) {
                    if (aborted.get()) {
                        return; // our own abort once the tool had ended, not an S3 failure
                    }
                    // closing stdin early makes pg_restore fail on a short archive: it never sees half a file as whole
                    readError.set(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
                    return;
                }
                if (n < 0) {
                    return;
                }
                if (writing) {
                    try {
                        out.write(buffer, 0, n);
                    } catch (IOException e) {
                        if (!readToEnd) {
                            return; // the tool stopped reading (exited, or was killed)
                        }
                        writing = false; // it has what it needs: the rest is read for the checksum only
                    }
                }
                fedSoFar.accept(fed.addAndGet(n));
            }
        } finally {
            try {
                out.close();
            } catch (IOException ignored) {
                // the tool is gone
            }
        }
    }

    private static void drain(InputStream out, ByteArrayOutputStream head, int keep,
            java.util.function.Consumer<String> lines) {
        byte[] buffer = new byte[8192];
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try (out) {
            int n;
            while ((n = out.read(buffer)) >= 0) {
                synchronized (head) {
                    int room = keep - head.size();
                    if (room > 0) {
                        head.write(buffer, 0, Math.min(room, n));
                    }
                }
                if (lines != null) {
                    for (int i = 0; i < n; i++) {
                        if (buffer[i] == '\n') {
                            lines.accept(line.toString(StandardCharsets.UTF_8));
                            line.reset();
                        } else {
                            line.write(buffer[i]);
                        }
                    }
                }
            }
            if (lines != null && line.size() > 0) {
                lines.accept(line.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // the tool was killed
        }
    }

    /** Waits, until the deadline, for the feeder to read the rest of the object; false when it did not. */
    private static boolean finish(Thread feeder, Deadline deadline) {
        try {
            feeder.join(Math.max(1, deadline.remaining().toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !feeder.isAlive();
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    private static void join(Thread t) {
        try {
            t.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void abort(ArchiveStorage.Reading in, AtomicBoolean aborted) {
        aborted.set(true);
        if (in != null) {
            in.close();
        }
    }
}
