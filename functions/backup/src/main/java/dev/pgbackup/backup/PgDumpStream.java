package dev.pgbackup.backup;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.db.RunningTool;
import java.io.FilterInputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * pg_dump's stdout, whose end is only reported once pg_dump has exited 0: a dump that fails turns the end of
 * the stream into an IOException, so the upload is aborted instead of completed. A tool that only wrote the
 * header and then died never becomes a backup.
 */
final class PgDumpStream extends FilterInputStream {
    /** pg_dump ended badly; the scrubbed stderr is the operator's diagnostic, not the caller's message. */
    static final class DumpFailed extends IOException {
        final int exitCode;
        final String stderr;

        DumpFailed(int exitCode, String stderr) {
            super("pg_dump " + (exitCode < 0 ? "did not exit" : "exited with code " + exitCode));
            this.exitCode = exitCode;
            this.stderr = stderr;
        }
    }

    private final RunningTool tool;
    private final List<String> secrets;

    PgDumpStream(RunningTool tool, List<String> secrets) {
        super(tool.stdout());
        this.tool = tool;
        this.secrets = secrets;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        return b < 0 ? checkExit() : b;
    }

    @Override
    public int read(byte[] buffer, int off, int len) throws IOException {
        int n = super.read(buffer, off, len);
        return n < 0 ? checkExit() : n;
    }

    private int checkExit() throws IOException {
        int code;
        try {
            code = tool.waitFor(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for pg_dump to exit");
        }
        if (code != 0) {
            throw new DumpFailed(code, Redactor.scrub(tool.diagnostic(), secrets));
        }
        return -1;
    }
}
