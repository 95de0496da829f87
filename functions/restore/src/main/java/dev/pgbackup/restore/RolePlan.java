package dev.pgbackup.restore;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a restore with {@link RoleOptions} does to the target's roles, decided before anything is executed: the roles
 * of the backup the target lacks are created (never an existing one altered or dropped), with the attributes the
 * restoring user may give (SUPERUSER, REPLICATION and BYPASSRLS only by a superuser, CREATEDB and CREATEROLE only by
 * one who has them: the others are left out and reported), without passwords; then the memberships of the backup
 * that involve a role created here. Ownership without created roles is refused when the target lacks a role the
 * database's owners and grants name.
 */
final class RolePlan {
    /** The target server's roles and what the restoring user may give. */
    record Target(Set<String> roles, Set<String> memberships, boolean superuser, boolean createRole,
            boolean createDb, int major) {
        static String membership(String role, String member) {
            return role + "\u0000" + member;
        }
    }

    /** The statements to run in order, the roles they create, and what was left out, for the job's details. */
    record Steps(List<String> statements, List<String> created, List<String> leftOut, List<String> missing) {}

    /** Roles the platform manages (PostgreSQL's own, and Amazon RDS's rdsadmin, rds_superuser, ...): never created. */
    static final Pattern MANAGED = Pattern.compile("pg_.*|rds.*");
    private static final List<String> SUPERUSER_ONLY = List.of("SUPERUSER", "REPLICATION", "BYPASSRLS");

    private RolePlan() {}

    /**
     * @param needed the roles the database's owners and grants name (the manifest's), or null when not recorded:
     *               then every role of the backup counts as needed
     */
    static Steps plan(RoleStatements.Parsed parsed, List<String> needed, Target target, RoleOptions options) {
        List<String> statements = new ArrayList<>();
        List<String> created = new ArrayList<>();
        Set<String> leftOut = new TreeSet<>();
        if (options.createMissing()) {
            for (RoleStatements.Role role : parsed.roles()) {
                if (!target.roles().contains(role.name()) && !MANAGED.matcher(role.name()).matches()) {
                    statements.add(create(role, target, leftOut));
                    created.add(role.name());
                }
            }
            for (RoleStatements.Membership m : parsed.memberships()) {
                grant(m, target, created).ifPresent(statements::add);
            }
        }
        Set<String> wanted = new LinkedHashSet<>(needed != null ? needed
                : parsed.roles().stream().map(RoleStatements.Role::name).toList());
        List<String> missing = new ArrayList<>();
        if (options.ownership()) {
            for (String role : wanted) {
                if (!target.roles().contains(role) && !created.contains(role)) {
                    missing.add(role);
                }
            }
        }
        return new Steps(List.copyOf(statements), List.copyOf(created), List.copyOf(leftOut), List.copyOf(missing));
    }

    private static String create(RoleStatements.Role role, Target target, Set<String> leftOut) {
        RoleStatements.Attributes a = role.attributes();
        StringBuilder sql = new StringBuilder("CREATE ROLE ").append(AdminSession.q(role.name())).append(" WITH");
        for (String flag : RoleStatements.FLAG_NAMES.split("\\|")) {
            Boolean value = a.flags().get(flag);
            boolean allowed = target.superuser() || !SUPERUSER_ONLY.contains(flag)
                    && (!flag.equals("CREATEDB") || target.createDb())
                    && (!flag.equals("CREATEROLE") || target.createRole());
            if (Boolean.TRUE.equals(value) && !allowed) {
                leftOut.add(flag + " of " + role.name());
                value = false;
            }
            // LOGIN and INHERIT have defaults of their own (NOLOGIN, INHERIT): always say what the backup said
            sql.append(' ').append(Boolean.TRUE.equals(value) || value == null && flag.equals("INHERIT") ? "" : "NO")
                    .append(flag);
        }
        if (a.connectionLimit() != null) {
            sql.append(" CONNECTION LIMIT ").append(a.connectionLimit());
        }
        if (a.validUntil() != null) {
            sql.append(" VALID UNTIL ").append(DatabaseNames.quoteLiteral(a.validUntil()));
        }
        return sql.toString();
    }

    /** A membership of the backup involving a role created here, when both exist and the target lacks it. */
    private static java.util.Optional<String> grant(RoleStatements.Membership m, Target target, List<String> created) {
        boolean roleThere = target.roles().contains(m.role()) || created.contains(m.role());
        boolean memberThere = target.roles().contains(m.member()) || created.contains(m.member());
        boolean ours = created.contains(m.role()) || created.contains(m.member());
        if (!roleThere || !memberThere || !ours
                || target.memberships().contains(Target.membership(m.role(), m.member()))) {
            return java.util.Optional.empty();
        }
        StringBuilder sql = new StringBuilder("GRANT ").append(AdminSession.q(m.role())).append(" TO ")
                .append(AdminSession.q(m.member()));
        if (target.major() >= 16) {
            List<String> with = new ArrayList<>();
            with.add("ADMIN " + (m.admin() ? "TRUE" : "FALSE"));
            if (m.inherit() != null) {
                with.add("INHERIT " + (m.inherit() ? "TRUE" : "FALSE"));
            }
            if (m.set() != null) {
                with.add("SET " + (m.set() ? "TRUE" : "FALSE"));
            }
            sql.append(" WITH ").append(String.join(", ", with));
        } else if (m.admin()) {
            sql.append(" WITH ADMIN OPTION");
        }
        return java.util.Optional.of(sql.toString());
    }
}
