package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.Hashes;
import dev.pgbackup.common.time.Deadline;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link ArchiveStorage} promises, run against each implementation (in memory and S3 over HTTP): an
 * archive is written whole or not at all, never over an existing one, and read only at the version that was checked.
 */
abstract class ArchiveStorageContract {
    /** The archives under test. */
    abstract ArchiveStorage archives();

    /** The same bucket as small objects, to see what exists and to replace an object behind the archives' back. */
    abstract ObjectStore objects();

    @TempDir
    Path dir;

    private final String prefix = "archive-contract/" + UUID.randomUUID() + "/";

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static Deadline minutes() {
        return Deadline.in(Duration.ofMinutes(5));
    }

    @Test
    void anUploadedArchiveReadsBackWholeByOpenAndByDownload() throws Exception {
        byte[] data = randomBytes(1_500_000);
        String key = prefix + "app-staging-on-backup.dump";
        AtomicInteger failures = new AtomicInteger();

        ArchiveStorage.Uploaded up = archives().upload(key, new ByteArrayInputStream(data), minutes(),
                failures::incrementAndGet);

        String sha = Hashes.hex(Hashes.sha256(data));
        assertEquals(new ArchiveStorage.Uploaded(data.length, sha), up);
        assertEquals(0, failures.get());
        ObjectStore.Info head = objects().head(key).orElseThrow();
        assertEquals(data.length, head.size());
        try (ArchiveStorage.Reading reading = archives().open(key, head.eTag())) {
            assertEquals(data.length, reading.length());
            assertArrayEquals(data, reading.stream().readAllBytes());
        }
        Path file = dir.resolve("download.dump");
        assertEquals(up, archives().download(key, head.eTag(), file, minutes()));
        assertArrayEquals(data, Files.readAllBytes(file));
    }

    @Test
    void anExistingArchiveIsNeverOverwritten() throws Exception {
        String key = prefix + "taken.dump";
        archives().upload(key, new ByteArrayInputStream(bytes("first")), minutes(), () -> {});
        AtomicInteger failures = new AtomicInteger();

        IOException refused = assertThrows(IOException.class, () -> archives().upload(key,
                new ByteArrayInputStream(bytes("second")), minutes(), failures::incrementAndGet));

        assertEquals(BackupName.alreadyExists(key), refused.getMessage());
        assertEquals(1, failures.get(), "the source is told to stop");
        try (ArchiveStorage.Reading reading = archives().open(key, null)) {
            assertEquals("first", new String(reading.stream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aSourceThatFailsMidwayLeavesNoArchive() {
        String key = prefix + "broken.dump";
        AtomicInteger failures = new AtomicInteger();
        InputStream failing = new InputStream() {
            private int sent;

            @Override
            public int read() throws IOException {
                if (sent++ < 200_000) {
                    return sent & 0xff;
                }
                throw new IOException("pg_dump exited with code 1");
            }
        };

        IOException failed = assertThrows(IOException.class,
                () -> archives().upload(key, failing, minutes(), failures::incrementAndGet));

        assertEquals("pg_dump exited with code 1", failed.getMessage());
        assertTrue(failures.get() >= 1, "the source is told to stop");
        assertTrue(objects().head(key).isEmpty(), "nothing under the archive's name");
        assertTrue(objects().list(prefix).isEmpty(), "nothing at all under the prefix");
    }

    @Test
    void anArchiveReplacedSinceItWasCheckedIsNotRead() throws Exception {
        String key = prefix + "checked.dump";
        archives().upload(key, new ByteArrayInputStream(bytes("checked")), minutes(), () -> {});
        String checked = objects().head(key).orElseThrow().eTag();
        objects().put(key, bytes("replaced behind our back"));

        assertThrows(RuntimeException.class, () -> archives().open(key, checked).close());
        Path file = dir.resolve("stale.dump");
        assertThrows(IOException.class, () -> archives().download(key, checked, file, minutes()));
        assertFalse(Files.exists(file), "no partial download left");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
