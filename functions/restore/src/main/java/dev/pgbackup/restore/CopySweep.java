package dev.pgbackup.restore;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.audit.Redactor;
import dev.pgbackup.common.db.DbConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The copies' hourly sweep (its own schedule): expired restores beside the environment's database are dropped even
 * when no restore or drill runs. It reads the journal first and connects to the server only when a copy has
 * expired. It takes no lock: a restore running meanwhile touches only copies being built, which are not expired
 * ones, and a drop of a copy two of them chose at once happens once.
 */
final class CopySweep {
    private final CopyExpiry copies;
    private final AuditLog log;
    private final String environment;
    private final Supplier<DbConnection> database;
    private final Supplier<List<String>> secrets;

    CopySweep(CopyExpiry copies, AuditLog log, String environment, Supplier<DbConnection> database,
            Supplier<List<String>> secrets) {
        this.copies = copies;
        this.log = log;
        this.environment = environment;
        this.database = database;
        this.secrets = secrets;
    }

    Map<String, Object> sweep() {
        AuditLog.Entry audit = log.entry("restore.copy.sweep").with("environment", environment);
        try {
            if (!copies.anyExpired()) {
                audit.write("NOTHING_EXPIRED");
                return Map.of("status", "NOTHING_EXPIRED");
            }
            List<String> notes = new ArrayList<>();
            List<String> dropped;
            try (AdminSession admin = AdminSession.open(database.get(), secrets.get())) {
                dropped = copies.dropExpired(admin, null, notes);
            }
            audit.with("dropped", dropped).with("notes", notes.isEmpty() ? null : notes).write("SWEPT");
            return Map.of("status", "SWEPT", "dropped", dropped);
        } catch (java.sql.SQLException | RuntimeException e) {
            // nothing lost: the next sweep, restore or drill tries again
            audit.with("error", e.getClass().getSimpleName()).with("diagnostic",
                    Redactor.scrub(String.valueOf(e.getMessage()), secrets.get())).write("FAILED");
            return Map.of("status", "FAILED");
        }
    }
}
