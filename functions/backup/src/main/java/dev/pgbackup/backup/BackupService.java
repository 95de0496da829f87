package dev.pgbackup.backup;

import dev.pgbackup.common.BackupName;
import dev.pgbackup.common.BackupObject;
import dev.pgbackup.common.BackupStore;
import dev.pgbackup.common.DbConnection;
import dev.pgbackup.common.JobRecord;
import dev.pgbackup.common.PgTools;
import dev.pgbackup.common.Redactor;
import dev.pgbackup.common.RunningTool;
import dev.pgbackup.common.Services;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One backup: checks, {@code pg_dump -Fc} streamed into a multipart upload, then retention. The backup
 * object exists only if pg_dump exited 0 and the upload completed; otherwise nothing is left behind.
 */
public class BackupService {
    /** What a finished backup reports; {@code deleted} are the old backups retention removed. */
    public record Outcome(String filename, long bytes, String pgDumpVersion, List<String> deleted, List<String> notes) {
    }

    /** A failure with a message safe to show a user (secrets removed). */
    public static final class BackupFailedException extends RuntimeException {
        public BackupFailedException(String message) {
            super(message);
        }
    }

    private final Services services;

    public BackupService(Services services) {
        this.services = services;
    }

    public Outcome run(String filename, Instant deadline) {
        BackupStore store = services.store;
        store.checkBucket();
        DbConnection db = services.database();
        List<String> secrets = db.password() == null ? List.of() : List.of(db.password());
        ServerFacts server = inspect(db, secrets);
        PgTools.Installation pgDump = services.pgTools.pgDumpFor(server.major());
        if (store.find(filename).isPresent()) {
            throw new BackupFailedException("A backup named " + filename + " already exists; it was not overwritten");
        }
        long bytes;
        RunningTool dump;
        try {
            dump = services.pgTools.start(pgDump, "pg_dump",
                    List.of("--format=custom", "--no-password", "--lock-wait-timeout=120000"), db);
        } catch (IOException e) {
            throw new PgTools.PgToolsException(PgTools.PG_DUMP_MISSING);
        }
        try (dump) {
            dump.stdin().close();
            InputStream body = new ExitCheckedStream(dump, secrets);
            bytes = store.upload(filename, body, BackupStore.partSizeFor(server.databaseBytes()), deadline,
                    dump::destroy).bytes();
        } catch (IOException e) {
            throw new BackupFailedException("Backup failed: " + Redactor.scrub(e.getMessage(), secrets));
        }
        // the backup is complete and restorable from here on: what follows must not turn it into a failure
        List<String> notes = new ArrayList<>();
        try {
            store.markCompleted(BackupName.parse(services.config.appName(), filename).orElseThrow(), services.clock.instant());
        } catch (RuntimeException e) {
            notes.add("completion record not written (" + e.getClass().getSimpleName() + "): a restore will ask for a new backup");
        }
        List<String> deleted = List.of();
        try {
            deleted = applyRetention(filename);
        } catch (RuntimeException e) {
            notes.add("retention skipped, nothing deleted (" + e.getClass().getSimpleName() + ")");
        }
        return new Outcome(filename, bytes, pgDump.version(), deleted, notes);
    }

    private record ServerFacts(int major, long databaseBytes) {
    }

    private ServerFacts inspect(DbConnection db, List<String> secrets) {
        try (Connection c = db.open(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(
                     "select current_setting('server_version_num')::int, pg_database_size(current_database())")) {
            rs.next();
            return new ServerFacts(rs.getInt(1) / 10000, rs.getLong(2));
        } catch (SQLException e) {
            throw new BackupFailedException("Cannot connect to the database: "
                    + Redactor.scrub(e.getMessage(), secrets));
        }
    }

    /**
     * Keeps the newest N backups of this environment, deleting older ones of this environment only.
     * Runs after the new backup is complete, and only on a listing that contains it: a listing that
     * failed, or lags behind, deletes nothing.
     */
    List<String> applyRetention(String newBackup) {
        String environment = services.config.environment();
        List<BackupObject> mine = new ArrayList<>();
        for (BackupObject b : services.store.listBackups()) {
            if (b.name().environment().equals(environment)) {
                mine.add(b);
            }
        }
        if (mine.stream().noneMatch(b -> b.filename().equals(newBackup))) {
            return List.of();
        }
        int keep = services.config.retentionCount();
        if (mine.size() <= keep) {
            return List.of();
        }
        List<String> doomed = mine.subList(keep, mine.size()).stream()
                .map(BackupObject::filename)
                .filter(f -> !f.equals(newBackup))
                .toList();
        services.store.delete(doomed);
        return doomed;
    }

    /**
     * pg_dump's stdout, whose end is only reported once pg_dump has exited 0: a dump that fails turns the
     * end of the stream into an IOException, so the upload is aborted instead of completed.
     */
    static final class ExitCheckedStream extends FilterInputStream {
        private final RunningTool tool;
        private final List<String> secrets;

        ExitCheckedStream(RunningTool tool, List<String> secrets) {
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
                String tail = Redactor.scrub(tool.stderrTail(), secrets);
                throw new IOException("pg_dump " + (code < 0 ? "did not exit" : "exited with code " + code)
                        + (tail.isEmpty() ? "" : ": " + tail));
            }
            return -1;
        }
    }
}
