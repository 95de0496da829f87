package dev.pgbackup.restore;

import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.time.Deadline;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.function.Consumer;

/** The real server: JDBC through {@link AdminSession}, the layer's pg_restore through {@link ArchiveReads}. */
final class PostgresRestoreServer implements RestoreServer {
    private final PgTools pgTools;
    private final Sanitizer sanitizer;
    /**
     * Connections ANALYZE shares the tables among: the work is the server's, and the smallest RDS instances have two
     * vCPUs.
     */
    static final int ANALYZE_CONNECTIONS = 2;
    /** Where a parallel restore downloads the archive (the worker's ephemeral storage). */
    private final Path scratch;

    PostgresRestoreServer(PgTools pgTools, Sanitizer sanitizer, Path scratch) {
        this.pgTools = pgTools;
        this.sanitizer = sanitizer;
        this.scratch = scratch;
    }

    @Override
    public ArchiveReads.Checked check(RestoreService.Plan plan, boolean wholeFile, Deadline deadline) {
        return plan.reads().check(pgTools.newestPgRestore(), wholeFile, deadline);
    }

    @Override
    public ArchiveReads.Checked listWithDependencies(RestoreService.Plan plan, Deadline deadline,
            Consumer<String> lines) {
        return plan.reads().listWithDependencies(pgTools.newestPgRestore(), deadline, lines);
    }

    @Override
    public AdminOps open(RestoreService.Plan plan) throws SQLException {
        // the job's first connection: refused, the source is read again once (a rotated password)
        return plan.login().attempt(db -> AdminSession.open(db, plan.secrets()));
    }

    @Override
    public PgTools.Installation pgRestoreFor(ArchiveReads.Checked checked, int serverMajor) {
        return pgTools.pgRestoreFor(checked.dumpedByMajor(), checked.dumpedBy(), serverMajor);
    }

    @Override
    public long stream(RestoreService.Plan plan, PgTools.Installation pgRestore, String database, Path useList,
            Deadline deadline) {
        return plan.login().attemptTool(db -> plan.reads().restoreInto(pgRestore, db, database, useList, deadline,
                plan.progress()));
    }

    @Override
    public long parallel(RestoreService.Plan plan, RestoreService.Archive archive, String database, Path useList,
            int jobs, Deadline deadline) {
        return plan.reads().restoreFromFile(archive.pgRestore(), plan.login().connection(), database, scratch, useList,
                jobs, archive.checked().entries(), deadline, plan.progress(), plan.timings());
    }

    @Override
    public void sanitize(RestoreService.Plan plan, String database, Deadline deadline, boolean tableOnly)
            throws SQLException {
        Sanitizer.Script script = plan.script().orElseThrow();
        plan.login().attempt(db -> {
            sanitizer.run(db.withDatabase(database), script, deadline, plan.target(), tableOnly);
            return null;
        });
    }

    @Override
    public void analyze(RestoreService.Plan plan, String database, Deadline deadline, List<String> notes)
            throws SQLException {
        plan.login().attempt(db -> {
            Statistics.analyze(db.withDatabase(database), deadline, notes, ANALYZE_CONNECTIONS);
            return null;
        });
    }
}
