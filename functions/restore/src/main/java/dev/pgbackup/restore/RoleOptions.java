package dev.pgbackup.restore;

/**
 * What a restore does with the roles its backup recorded: {@code createMissing} ({@code "roles": "create-missing"})
 * creates the roles the target lacks before pg_restore runs; {@code ownership} ({@code "ownership": true}) restores
 * owners and grants (pg_restore without --no-owner --no-acl), refused up front when the target lacks a role they
 * name, unless the missing roles are created. Neither: the default, --no-owner --no-acl, roles untouched.
 */
public record RoleOptions(boolean createMissing, boolean ownership) {
    public static final RoleOptions NONE = new RoleOptions(false, false);
    public static final String CREATE_MISSING = "create-missing";
    static final String OWNERSHIP = "ownership";

    boolean any() {
        return createMissing || ownership;
    }

    /** As the job record and the invoke payload carry it: null for none. */
    public String encoded() {
        if (!any()) {
            return null;
        }
        if (createMissing && ownership) {
            return CREATE_MISSING + "," + OWNERSHIP;
        }
        return createMissing ? CREATE_MISSING : OWNERSHIP;
    }

    /** The options {@link #encoded()} wrote; anything else is none (a worker then finds its payload disagreeing). */
    static RoleOptions decode(String encoded) {
        if (encoded == null) {
            return NONE;
        }
        return switch (encoded) {
            case CREATE_MISSING -> new RoleOptions(true, false);
            case OWNERSHIP -> new RoleOptions(false, true);
            case CREATE_MISSING + "," + OWNERSHIP -> new RoleOptions(true, true);
            default -> NONE;
        };
    }

    /** For the job's details and messages. */
    String describe() {
        return !any() ? "" : (createMissing ? "missing roles created" : "") + (createMissing && ownership ? ", " : "")
                + (ownership ? "ownership and grants restored" : "");
    }
}
