package dev.pgbackup.testsupport;

import dev.pgbackup.common.Hashes;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.time.Deadline;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Archives in the in-memory bucket ({@link InMemoryObjectStore}), so that what a rule lists, reads and deletes is
 * what was uploaded. Held to the same contract as {@code S3Archives} (ArchiveStorageContract): written whole or not at
 * all, never over an existing key, read only at the version that was checked.
 */
public final class InMemoryArchives implements ArchiveStorage {
    private final InMemoryObjectStore store;

    public InMemoryArchives(InMemoryObjectStore store) {
        this.store = store;
    }

    @Override
    public Uploaded upload(String key, InputStream body, Deadline deadline, Runnable onFailure) throws IOException {
        byte[] bytes;
        try {
            bytes = body.readAllBytes();
        } catch (IOException e) {
            onFailure.run();
            throw e;
        }
        if (deadline.passed()) {
            onFailure.run();
            throw new IOException("Backup did not finish before the worker's time limit; the upload was aborted");
        }
        if (!store.createIfAbsent(key, bytes)) {
            onFailure.run();
            throw new IOException(BackupName.alreadyExists(key));
        }
        return new Uploaded(bytes.length, Hashes.hex(Hashes.sha256(bytes)));
    }

    @Override
    public Reading open(String key, String eTag) {
        byte[] bytes = at(key, eTag);
        InputStream in = new ByteArrayInputStream(bytes);
        return new Reading() {
            @Override
            public InputStream stream() {
                return in;
            }

            @Override
            public long length() {
                return bytes.length;
            }

            @Override
            public void abort() {
                // nothing held open
            }

            @Override
            public void close() {
                // nothing held open
            }
        };
    }

    @Override
    public Uploaded download(String key, String eTag, Path file, Deadline deadline) throws IOException {
        byte[] bytes;
        try {
            bytes = at(key, eTag);
        } catch (IllegalStateException e) {
            Files.deleteIfExists(file);
            throw new IOException(e.getMessage(), e);
        }
        Files.write(file, bytes);
        return new Uploaded(bytes.length, Hashes.hex(Hashes.sha256(bytes)));
    }

    /** The object's bytes if it is still version {@code eTag} (any version when null), as S3's If-Match reads. */
    private byte[] at(String key, String eTag) {
        ObjectStore.Stored stored = store.get(key, Integer.MAX_VALUE)
                .orElseThrow(() -> new IllegalStateException("404: no object " + key));
        if (eTag != null && !eTag.equals(stored.eTag())) {
            throw new IllegalStateException("412: " + key + " is no longer version " + eTag);
        }
        return stored.bytes();
    }
}
