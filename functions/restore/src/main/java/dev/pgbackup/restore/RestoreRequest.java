package dev.pgbackup.restore;

import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.WorkerPayload;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a restore writes: over the environment's database (the seed's restore), or a new database beside it
 * ({@code copy}), optionally of only some tables ({@code "schema.table"}, or {@code "schema.*"} for every table of a
 * schema). A copy never replaces anything, so it needs no safety backup; a table-only restore is always a copy.
 * {@code roles}: what it does with the roles the backup recorded ({@link RoleOptions}).
 */
public record RestoreRequest(boolean copy, List<String> tables, RoleOptions roles) {
    /** The seed's restore: the environment's database replaced. */
    public static final RestoreRequest REPLACE = new RestoreRequest(false, null);
    /** A whole backup into a new database beside the environment's. */
    public static final RestoreRequest COPY = new RestoreRequest(true, null);
    /** How the invoke payload names a restore into a new database ({@code how}); replacing ones name the mode. */
    static final String COPY_HOW = "COPY";
    public static final String INTO_COPY = "copy";
    /**
     * An identifier as pg_restore --list prints it and this API accepts it: letters, digits, '_' and '$', at most 63
     * bytes (PostgreSQL's limit); no quoting, dots or spaces, so "schema.table" is never ambiguous.
     */
    public static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");
    public static final int MAX_TABLES = WorkerPayload.MAX_TABLES;

    public RestoreRequest(boolean copy, List<String> tables) {
        this(copy, tables, RoleOptions.NONE);
    }

    public RestoreRequest {
        roles = roles == null ? RoleOptions.NONE : roles;
        if (tables != null) {
            if (!copy) {
                throw new IllegalArgumentException("a table-only restore is always a copy");
            }
            tables = List.copyOf(tables);
        }
    }

    public static RestoreRequest tables(List<String> names) {
        return new RestoreRequest(true, names);
    }

    /** The same restore, doing {@code options} with the backup's roles. */
    public RestoreRequest withRoles(RoleOptions options) {
        return new RestoreRequest(copy, tables, options);
    }

    /** Whether {@code name} is "schema.table" or "schema.*" of valid identifiers. */
    public static boolean validTableName(String name) {
        int dot = name.indexOf('.');
        if (dot < 0) {
            return false;
        }
        String schema = name.substring(0, dot);
        String table = name.substring(dot + 1);
        return IDENTIFIER.matcher(schema).matches() && (table.equals("*") || IDENTIFIER.matcher(table).matches());
    }

    /** The payload's {@code how}: the restore mode for a restore over the database, COPY for one beside it. */
    public String how(Config.RestoreMode mode) {
        return copy ? COPY_HOW : mode.name();
    }

    /** The job as the API records it. */
    public JobRecord on(JobRecord job) {
        return (copy ? job.into(INTO_COPY, tables) : job).withRoles(roles.encoded());
    }

    /** What the environment's own job record says the job restores. */
    static RestoreRequest of(JobRecord job) {
        return (INTO_COPY.equals(job.into()) ? new RestoreRequest(true, job.tables()) : REPLACE)
                .withRoles(RoleOptions.decode(job.roles()));
    }

    /** Whether the invoke payload asks for exactly this restore. */
    boolean matches(WorkerPayload payload, Config.RestoreMode mode) {
        return how(mode).equals(payload.how()) && Objects.equals(tables, payload.tables())
                && Objects.equals(roles.encoded(), payload.roles());
    }

    /** For messages: "tables public.orders, sales.*". */
    String describeTables() {
        return tables == null ? "" : "tables " + String.join(", ", tables);
    }
}
