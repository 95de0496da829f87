package dev.pgbackup.common.storage;

import dev.pgbackup.common.Hashes;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** Counts and hashes (SHA-256) what passes through: the size and checksum recorded for an archive. */
public final class MeasuredStream extends FilterInputStream {
    private final MessageDigest digest = Hashes.newSha256();
    private volatile long count;

    public MeasuredStream(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            digest.update((byte) b);
            count++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            digest.update(b, off, n);
            count += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        throw new IOException("a measured stream is read, not skipped");
    }

    public long count() {
        return count;
    }

    /** The hex SHA-256 of everything read so far (call once, at the end). */
    public String sha256Hex() {
        return Hashes.hex(digest.digest());
    }
}
