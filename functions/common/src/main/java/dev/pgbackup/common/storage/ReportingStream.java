package dev.pgbackup.common.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/** Tells how many bytes have passed so far (for a job's progress); the consumer must be cheap and never throw. */
public final class ReportingStream extends FilterInputStream {
    private final LongConsumer passed;
    private long count;

    public ReportingStream(InputStream in, LongConsumer passed) {
        super(in);
        this.passed = passed;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            passed.accept(++count);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            count += n;
            passed.accept(count);
        }
        return n;
    }
}
