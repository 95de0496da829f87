package dev.pgbackup.backup;

import static dev.pgbackup.common.failure.Verdict.BACKUP_FAILED;

import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.db.RunningTool;
import dev.pgbackup.common.db.ToolErrors;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.RoleGlobals;
import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.common.time.Deadline;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The server's roles as a backup records them: {@code pg_dumpall --globals-only --no-role-passwords} (what RDS
 * allows a non-superuser to read; no password hash ever leaves the server), by the pg_dumpall of the major that
 * dumps the database, and the roles the database names as owners or in its grants. Taken before the dump, in
 * memory (a few hundred bytes a role): a failure here fails the backup before anything is written.
 */
final class RoleCapture {
    /** pg_dumpall's output and the roles the database references (null: over {@link RoleGlobals#MAX_REFERENCED}). */
    record Captured(byte[] sql, List<String> referenced, List<String> owners) {}

    /**
     * Roles recorded as owners ('o'), in grants ('a') or initial privileges ('i') of this database's objects, and
     * the owners of its schemas and relations (objects of the bootstrap superuser have no pg_shdepend rows).
     */
    static final String REFERENCED = referenced("'o', 'a', 'i'");
    /** The owners among them (default privileges are owned by the role they are for). */
    static final String OWNERS = referenced("'o'");

    private static String referenced(String deptypes) {
        return "select distinct r.rolname from pg_roles r where r.oid in ("
                + "select d.refobjid from pg_shdepend d join pg_database db on db.oid = d.dbid "
                + "where db.datname = current_database() and d.refclassid = 'pg_authid'::regclass "
                + "and d.deptype in (" + deptypes + ") "
                + "union select n.nspowner from pg_namespace n "
                + "where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' "
                + "union select c.relowner from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                + "where n.nspname !~ '^pg_' and n.nspname <> 'information_schema') "
                + "and r.rolname !~ '^pg_' order by 1 limit " + (RoleGlobals.MAX_REFERENCED + 1);
    }

    private RoleCapture() {}

    static Captured take(PgTools tools, PgTools.Installation major, DbConnection db, Deadline deadline,
            List<String> secrets) {
        byte[] sql = dumpGlobals(tools, major, db, deadline, secrets);
        try {
            return new Captured(sql, roles(db, REFERENCED), roles(db, OWNERS));
        } catch (SQLException e) {
            String detail = Redactor.scrub(String.valueOf(e.getMessage()), secrets);
            throw Failure.server(BACKUP_FAILED, "the roles the database references could not be read ("
                    + detail + "); no backup was written", detail);
        }
    }

    /**
     * Writes the roles beside the backup's manifest through the archive's own path (its SSE-KMS key, its client-side
     * encryption bound to {@code <filename>.globals.sql}), never over an existing object; what the manifest records.
     */
    static RoleGlobals upload(Captured roles, ArchiveStorage archives, BackupEncryption encryption, StateKeys keys,
            String filename, Deadline deadline) throws IOException {
        InputStream body = encryption.wrap(new java.io.ByteArrayInputStream(roles.sql()), contextName(filename));
        ArchiveStorage.Uploaded stored = archives.upload(keys.globals(filename), body, deadline, () -> {});
        return new RoleGlobals(stored.bytes(), stored.sha256(), roles.referenced(), roles.owners());
    }

    /** The file name a client-side encryption of the roles is bound to (a restore checks it). */
    static String contextName(String filename) {
        return filename + ".globals.sql";
    }

    private static List<String> roles(DbConnection db, String query) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = db.open(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names.size() > RoleGlobals.MAX_REFERENCED ? null : names;
    }

    private static byte[] dumpGlobals(PgTools tools, PgTools.Installation major, DbConnection db, Deadline deadline,
            List<String> secrets) {
        if (!Files.isExecutable(major.tool("pg_dumpall"))) {
            throw Failure.server(BACKUP_FAILED, "the layer has no pg_dumpall for PostgreSQL " + major.major()
                    + " (rebuild and redeploy the postgresql-client layer); no backup was written");
        }
        // pg_dumpall connects to 'postgres' unless told: the configured database is the one the user may reach;
        // its -l value is expanded as a connection string, so it is given as one naming just the database
        List<String> args = List.of("--globals-only", "--no-role-passwords", "--no-password",
                "--database=" + dev.pgbackup.restore.DatabaseNames.conninfoDbname(db.database()));
        byte[] out;
        int exit;
        RunningTool tool;
        try {
            tool = tools.start(major, "pg_dumpall", args, db);
        } catch (IOException e) {
            throw Failure.server(BACKUP_FAILED, "pg_dumpall could not be started (" + e.getClass().getSimpleName()
                    + "); no backup was written");
        }
        try (tool) {
            tool.stdin().close();
            try (InputStream in = tool.stdout()) {
                out = in.readNBytes(RoleGlobals.MAX_BYTES + 1);
            }
            exit = out.length > RoleGlobals.MAX_BYTES ? -2
                    : tool.waitFor(Math.max(1, deadline.remaining().toSeconds()), TimeUnit.SECONDS);
        } catch (IOException e) {
            throw Failure.server(BACKUP_FAILED, "reading pg_dumpall's output failed (" + e.getClass().getSimpleName()
                    + "); no backup was written");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Failure.server("Backup interrupted while pg_dumpall ran; no backup was written");
        }
        if (exit == -2) {
            throw Failure.server(BACKUP_FAILED, "pg_dumpall --globals-only wrote more than " + RoleGlobals.MAX_BYTES
                    + " bytes; no backup was written");
        }
        if (exit != 0) {
            String why = Redactor.scrub(tool.diagnostic(), secrets);
            throw Failure.server(BACKUP_FAILED, "pg_dumpall --globals-only (the roles) "
                    + (exit < 0 ? "did not finish in time" : "exited with code " + exit) + ": "
                    + ToolErrors.meaning("pg_dumpall", why) + " (no backup was written)", why);
        }
        return out;
    }
}
