package dev.pgbackup.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.config.Compression;
import dev.pgbackup.common.failure.Failure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** Which bundled tool runs for which server, archive and compression: the choice table on a fake layer. */
class PgToolsTest {
    static Path layer(int... majors) throws IOException {
        Path root = Files.createTempDirectory("layer-");
        for (int major : majors) {
            for (String tool : new String[] {"pg_dump", "pg_restore"}) {
                Path bin = Files.createDirectories(root.resolve("postgresql/" + major + "/bin"));
                Path script = bin.resolve(tool);
                Files.writeString(script, "#!/bin/sh\necho '" + tool + " (PostgreSQL) " + major + ".3'\n");
                Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        return root;
    }

    @Test
    void pgDumpIsTheLowestMajorThatTakesTheServerAndTheCompression() throws IOException {
        PgTools tools = new PgTools(layer(15, 16, 18));
        Compression zstd = Compression.parse("zstd:1");
        Compression gzip = Compression.parse("gzip");
        assertEquals(16, tools.pgDumpFor(14, zstd).major());
        assertEquals(16, tools.pgDumpFor(15, zstd).major());
        assertEquals(15, tools.pgDumpFor(15, gzip).major());
        assertEquals(15, tools.pgDumpFor(14, gzip).major());
        assertEquals(18, tools.pgDumpFor(17, zstd).major());
        assertEquals(18, tools.pgDumpFor(18, gzip).major());
        Failure newer = assertThrows(Failure.class, () -> tools.pgDumpFor(19, gzip));
        assertTrue(
                newer.getMessage().startsWith("The database server runs PostgreSQL 19 but the newest bundled pg_dump "
                        + "is 18.3"),
                newer.getMessage());
        Failure noZstd = assertThrows(Failure.class, () -> new PgTools(layer(15)).pgDumpFor(15, zstd));
        assertTrue(noZstd.getMessage().startsWith("BACKUP_COMPRESSION zstd:1 needs pg_dump 16 or later"));
    }

    @Test
    void pgRestoreReadsTheArchiveAndRefusesWhatCannotGoIntoTheServer() throws IOException {
        PgTools tools = new PgTools(layer(15, 16, 18));
        assertEquals(15, tools.pgRestoreFor(15, "15.19", 15).major());
        assertEquals(16, tools.pgRestoreFor(16, "16.13", 14).major());
        assertEquals(16, tools.pgRestoreFor(16, "16.13", 18).major());
        assertEquals(18, tools.pgRestoreFor(18, "18.1", 17).major());
        assertEquals(18, tools.pgRestoreFor(17, "17.7", 18).major());
        Failure old = assertThrows(Failure.class, () -> tools.pgRestoreFor(18, "18.1", 16));
        assertEquals("The backup was written by pg_dump 18.1; only pg_restore 18 or later reads it, and that sets "
                + "transaction_timeout, which this database server (PostgreSQL 16) does not know. Restore a backup "
                + "written by pg_dump 16 or earlier, or upgrade the target to PostgreSQL 17 or later",
                old.getMessage());
        Failure unreadable = assertThrows(Failure.class, () -> tools.pgRestoreFor(19, "19.0", 19));
        assertTrue(unreadable.getMessage().startsWith("The backup was written by pg_dump 19.0 but the newest bundled "
                + "pg_restore is 18.3"), unreadable.getMessage());
    }
}
