package dev.pgbackup.testsupport;

import dev.pgbackup.common.BackupName;
import dev.pgbackup.common.Config;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Real backups for restore and listing tests without the backup module: the layer's pg_dump writing a
 * custom-format archive into a pipe (no data offsets, exactly like the backup worker's upload), and
 * file names made by the production naming code.
 */
public final class BackupFiles {
    private BackupFiles() {
    }

    /** {@code pg_dump --format=custom} of a test database, read from a pipe. */
    public static byte[] dump(TestPostgres pg, String database) {
        try {
            ProcessBuilder builder = new ProcessBuilder(RepoPaths.pgToolsDir().resolve("bin/pg_dump").toString(),
                    "--format=custom", "--no-password", "-h", "127.0.0.1", "-p", Integer.toString(pg.port()),
                    "-U", TestPostgres.APP_USER, "--dbname=dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'");
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
        Map<String, String> env = new HashMap<>();
        env.put("APP_NAME", TestStack.APP);
        env.put("ENVIRONMENT", environment);
        env.put("BUCKET_NAME", "unused");
        env.put("DB_URL_PARAMETER", "unused");
        env.put("JWT_SECRET_PARAMETER", "unused");
        env.put("RESTORE_PASSKEY_PARAMETER", "unused");
        return BackupName.create(Config.from(env), when).filename();
    }

    /** Uploads as the backup worker does, including its completion record for backup names. */
    public static void upload(S3Client s3, String bucket, String key, byte[] body) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/octet-stream"), RequestBody.fromBytes(body));
        BackupName.parse(TestStack.APP, key).ifPresent(name -> s3.putObject(
                b -> b.bucket(bucket).key(dev.pgbackup.common.BackupStore.completedKey(TestStack.APP, name.environment())),
                RequestBody.fromString(dev.pgbackup.common.Json.write(
                        new dev.pgbackup.common.BackupStore.Completed(key, Instant.now())))));
    }
}
