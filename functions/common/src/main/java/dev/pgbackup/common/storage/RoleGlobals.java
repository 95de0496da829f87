package dev.pgbackup.common.storage;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What a backup recorded about the roles of its server, in its manifest: the object {@link StateKeys#globals} holds
 * ({@code pg_dumpall --globals-only --no-role-passwords}; {@code bytes} and {@code sha256} of the object as stored,
 * client-side encrypted when the archive is), and {@code referenced}: the roles the dumped
 * database names as owners or in its grants (what a restore of ownership and grants needs on the target), sorted;
 * null when there were more than {@link #MAX_REFERENCED} (the manifest stays bounded; such a backup restores
 * ownership only into a target that has every role of its globals); {@code owners}: those of them that own something
 * (objects, default privileges), whom a restoring user that is no superuser must be able to SET ROLE to.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record RoleGlobals(long bytes, String sha256, List<String> referenced, List<String> owners) {
    /** Far above real applications' roles; 2,000 names of 63 bytes keep a manifest well under its bound. */
    public static final int MAX_REFERENCED = 2_000;
    /** pg_dumpall --globals-only of a cluster: a few hundred bytes per role; a larger output is refused. */
    public static final int MAX_BYTES = 8 * 1024 * 1024;

    public RoleGlobals {
        referenced = referenced == null ? null : List.copyOf(referenced);
        owners = owners == null ? null : List.copyOf(owners);
    }
}
