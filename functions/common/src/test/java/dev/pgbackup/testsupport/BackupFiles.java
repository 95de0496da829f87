package dev.pgbackup.testsupport;

import dev.pgbackup.common.Json;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.LastBackup;
import dev.pgbackup.common.storage.StateKeys;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Real backups for restore and listing tests without the backup module: the layer's pg_dump writing a
 * custom-format archive into a pipe (no data offsets, exactly like the backup worker's upload), and
 * file names made by the production naming code.
 */
public final class BackupFiles {
    private BackupFiles() {}

    /** {@code pg_dump --format=custom} of a test database, read from a pipe, by the pg_dump the product would pick. */
    public static byte[] dump(TestPostgres pg, String database) {
        try {
            ProcessBuilder builder = new ProcessBuilder(RepoPaths.pgTool(pg.serverMajor(), "pg_dump").toString(),
                    "--format=custom", "--no-password", "-h", "127.0.0.1", "-p", Integer.toString(pg.port()),
                    "-U", TestPostgres.APP_USER,
                    "--dbname=dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'");
            builder.environment().put("PGPASSWORD", TestPostgres.APP_PASSWORD);
            builder.environment().put("LD_LIBRARY_PATH", RepoPaths.pgToolsDir().resolve("lib").toString());
            builder.redirectError(ProcessBuilder.Redirect.INHERIT);
            Process p = builder.start();
            p.getOutputStream().close();
            byte[] bytes;
            try (InputStream in = p.getInputStream()) {
                bytes = in.readAllBytes();
            }
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("pg_dump of " + database + " failed");
            }
            return bytes;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The backup name the product gives a backup of {@code environment} taken at {@code when}. */
    public static String name(String environment, Instant when) {
        return BackupName.create(TestStack.APP, environment, java.time.ZoneId.of("Asia/Kolkata"), "IST", when)
                .filename();
    }

    /**
     * Uploads as the previous implementation did (no manifest, so no checksum to verify), with the completion
     * record the backup worker writes, so that a backup named for an environment counts as its recent backup.
     */
    public static void upload(S3Client s3, String bucket, String key, byte[] body) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/octet-stream"),
                RequestBody.fromBytes(body));
        BackupName.parse(TestStack.APP, key).ifPresent(name -> markCompleted(s3, bucket, key, name.environment(),
                Instant.now()));
    }

    /** The backup worker's completion record: {@code key} completed (and started) at {@code when}. */
    public static void markCompleted(S3Client s3, String bucket, String key, String environment, Instant when) {
        s3.putObject(b -> b.bucket(bucket).key(new StateKeys(TestStack.APP, environment).lastBackup()),
                RequestBody.fromString(Json
                        .write(new LastBackup(key, "00000000-0000-0000-0000-000000000000", when, when, null, null))));
    }
}
