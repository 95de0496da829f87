package dev.pgbackup.common.storage;

import dev.pgbackup.common.time.Deadline;
import java.io.IOException;
import java.io.InputStream;

/** Archives (backups) as streams: written whole or not at all, read at exactly the version that was checked. */
public interface ArchiveStorage {
    /** An archive that now exists whole, with its size and the SHA-256 of its bytes. */
    record Uploaded(long bytes, String sha256) {}

    /** An open read of an archive; {@link #abort()} drops the connection without reading the rest. */
    interface Reading extends AutoCloseable {
        InputStream stream();

        long length();

        void abort();

        @Override
        void close();
    }

    /**
     * Streams {@code body} into a new object {@code key}. The object is created only if the stream ends
     * normally (a source that fails must throw from read) and no object of that key exists. On any failure
     * or when the deadline passes, {@code onFailure} runs (it must unblock the source, e.g. kill pg_dump),
     * the upload is aborted and an IOException thrown.
     */
    Uploaded upload(String key, InputStream body, Deadline deadline, Runnable onFailure) throws IOException;

    /** Opens the archive, failing if it is no longer the version {@code eTag}. */
    Reading open(String key, String eTag);

    /**
     * Downloads the archive, version {@code eTag}, into {@code file} with parallel part requests; returns its
     * size and SHA-256 as written to the file. On failure or past the deadline the file is deleted.
     */
    Uploaded download(String key, String eTag, java.nio.file.Path file, Deadline deadline) throws IOException;
}
