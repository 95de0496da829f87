package dev.pgbackup.restore;

import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.storage.ArchiveCipher;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.storage.RoleGlobals;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The role step of a restore with {@link RoleOptions}, after the archive was checked and before any database is
 * created: reads the backup's roles (checked against its manifest, decrypted as its archive is), parses them, reads
 * the target's roles, refuses what cannot work (nothing changed yet), then creates the missing roles one statement at
 * a time. Roles belong to the server, not to a database: those created stay if the restore fails later (they own
 * nothing and cannot log in without a password); the failure's message names them.
 */
public final class RoleRestore {
    private final BackupCatalog catalog;
    private final Supplier<ArchiveCipher> cipher;
    private final String app;

    RoleRestore(BackupCatalog catalog, Supplier<ArchiveCipher> cipher, String app) {
        this.catalog = catalog;
        this.cipher = cipher;
        this.app = app;
    }

    /** Runs the role step for {@code plan}; returns the notes for the job's details (none without options). */
    List<String> apply(RestoreService.Plan plan, RoleOptions options, int serverMajor) {
        if (!options.any()) {
            return List.of();
        }
        String target = plan.target();
        Manifest manifest = plan.manifest().filter(m -> m.globals() != null).orElseThrow(() -> RestoreFailure.refused(
                target, "backup " + plan.backup().filename() + " was written without its roles "
                        + "(before pg_dumpall was part of a backup); restore it without \"roles\" and \"ownership\""));
        RoleStatements.Parsed parsed = parse(plan, manifest);
        DbConnection admin = plan.login().connection().withDatabase(AdminSession.MAINTENANCE_DATABASE);
        RolePlan.Target found;
        try {
            found = plan.login().attempt(RoleRestore::target);
        } catch (SQLException e) {
            throw RestoreFailure.failed(target, "the server's roles could not be read ("
                    + dev.pgbackup.common.audit.Redactor.scrub(String.valueOf(e.getMessage()), plan.secrets())
                    + "); nothing was changed");
        }
        RolePlan.Target onServer = new RolePlan.Target(found.roles(), found.memberships(), found.superuser(),
                found.createRole(), found.createDb(), serverMajor);
        RolePlan.Steps steps = RolePlan.plan(parsed, manifest.globals().referenced(), onServer, options);
        if (!steps.missing().isEmpty()) {
            throw RestoreFailure.refused(target, "the database's owners and grants name roles this "
                    + "server does not have (" + names(steps.missing()) + "); create them, or add \"roles\": \""
                    + RoleOptions.CREATE_MISSING + "\"; nothing was changed");
        }
        List<String> done = new ArrayList<>();
        try (Connection c = admin.open(); Statement s = c.createStatement()) {
            for (String sql : steps.statements()) {
                s.execute(sql);
                done.add(sql);
            }
        } catch (SQLException e) {
            List<String> created = steps.created().subList(0, (int) done.stream()
                    .filter(x -> x.startsWith("CREATE ROLE")).count());
            throw RestoreFailure.unchanged(target, "Restore failed while creating the backup's roles ("
                    + dev.pgbackup.common.audit.Redactor.scrub(String.valueOf(e.getMessage()), plan.secrets())
                    + "); roles created before the failure remain: "
                    + (created.isEmpty() ? "none" : names(created)));
        }
        plan.rolesCreated().addAll(steps.created());
        if (options.ownership() && !found.superuser()) {
            requireSetRole(plan, admin, manifest.globals().owners(), serverMajor);
        }
        return notes(steps, parsed, options);
    }

    /**
     * pg_restore gives objects to their owners with ALTER ... OWNER TO, which a user that is no superuser may do only
     * for roles it can SET ROLE to (a member, before 16): checked before any database is created, naming the roles.
     */
    private static void requireSetRole(RestoreService.Plan plan, DbConnection admin, List<String> owners, int major) {
        if (owners == null || owners.isEmpty()) {
            return;
        }
        List<String> cannot = new ArrayList<>();
        try (Connection c = admin.open();
                java.sql.PreparedStatement s = c.prepareStatement("select r from unnest(?) r "
                        + "where not pg_has_role(current_user, r, ?) order by 1")) {
            s.setArray(1, c.createArrayOf("text", owners.toArray()));
            s.setString(2, major >= 16 ? "SET" : "MEMBER");
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    cannot.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw RestoreFailure.failed(plan.target(), "the restoring user's memberships could not "
                    + "be read (" + dev.pgbackup.common.audit.Redactor.scrub(String.valueOf(e.getMessage()),
                            plan.secrets())
                    + ")");
        }
        if (!cannot.isEmpty()) {
            String user = admin.user();
            throw RestoreFailure.refused(plan.target(), "the restoring user '" + user + "' may not "
                    + "give objects to " + names(cannot) + " (ownership needs membership in each owner: GRANT "
                    + AdminSession.q(cannot.get(0)) + " TO " + AdminSession.q(user) + ", ...), or restore without "
                    + "\"ownership\"");
        }
    }

    private static List<String> notes(RolePlan.Steps steps, RoleStatements.Parsed parsed, RoleOptions options) {
        List<String> notes = new ArrayList<>();
        if (options.createMissing()) {
            notes.add(steps.created().isEmpty() ? "roles: none missing, none created"
                    : "roles created without passwords (set them): " + names(steps.created()));
        }
        if (!steps.leftOut().isEmpty()) {
            notes.add("role attributes the restoring user may not give, left out: " + names(steps.leftOut()));
        }
        if (!parsed.skipped().isEmpty()) {
            notes.add("not restored from the backup's roles: " + new java.util.TreeMap<>(parsed.skipped()));
        }
        if (options.ownership()) {
            notes.add("ownership and grants restored");
        }
        return notes;
    }

    private RoleStatements.Parsed parse(RestoreService.Plan plan, Manifest manifest) {
        String target = plan.target();
        try {
            byte[] stored = catalog.globals(plan.backup(), manifest).orElseThrow();
            InputStream in = new ByteArrayInputStream(stored);
            if (manifest.clientSideEncrypted()) {
                in = cipher.get().decrypt(in, manifest.kmsKeyId(), ArchiveCipher.context(app,
                        plan.backup().environment(), plan.backup().filename() + ".globals.sql"));
            }
            byte[] sql;
            try (InputStream text = in) {
                sql = text.readNBytes(RoleGlobals.MAX_BYTES + 1);
            }
            return RoleStatements.parse(new String(sql, StandardCharsets.UTF_8));
        } catch (RoleStatements.Unrecognised e) {
            throw RestoreFailure.refused(target, "the roles of backup " + plan.backup().filename()
                    + " cannot be read: " + e.getMessage() + "; nothing was changed");
        } catch (IOException | RuntimeException e) {
            if (e instanceof RestoreFailure f) {
                throw f;
            }
            throw RestoreFailure.failed(target, "the roles of backup " + plan.backup().filename()
                    + " could not be read (" + (e instanceof dev.pgbackup.common.failure.Failure ? e.getMessage()
                            : e.getClass().getSimpleName())
                    + "); nothing was changed");
        }
    }

    private static RolePlan.Target target(DbConnection db) throws SQLException {
        Set<String> roles = new HashSet<>();
        Set<String> memberships = new HashSet<>();
        try (Connection c = db.withDatabase(AdminSession.MAINTENANCE_DATABASE).open();
                Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select rolname from pg_roles")) {
                while (rs.next()) {
                    roles.add(rs.getString(1));
                }
            }
            try (ResultSet rs = s.executeQuery("select r.rolname, m.rolname from pg_auth_members a "
                    + "join pg_roles r on r.oid = a.roleid join pg_roles m on m.oid = a.member")) {
                while (rs.next()) {
                    memberships.add(RolePlan.Target.membership(rs.getString(1), rs.getString(2)));
                }
            }
            try (ResultSet rs = s.executeQuery("select rolsuper, rolcreaterole, rolcreatedb from pg_roles "
                    + "where rolname = current_user")) {
                rs.next();
                return new RolePlan.Target(roles, memberships, rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3), 0);
            }
        }
    }

    /** At most 20 names, then how many more. */
    public static String names(java.util.Collection<String> names) {
        List<String> all = List.copyOf(names);
        String shown = String.join(", ", all.subList(0, Math.min(20, all.size())));
        return all.size() > 20 ? shown + " and " + (all.size() - 20) + " more" : shown;
    }
}
