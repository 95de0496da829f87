package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.testsupport.MetricLines;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.util.List;
import java.util.Map;

/** What {@link BackupWorkerIT}'s real backups must have written as metrics (docs/metrics.md). */
final class BackupMetricsChecks {
    private BackupMetricsChecks() {}

    /**
     * The size-drop metric compares a backup with the one before it of its class: the first on-demand backup has
     * none (three scheduled ones exist), the second is compared with the first, and the nightly with the newest
     * scheduled one (the previous tool's, 12 bytes each), never with the on-demand backups made since.
     */
    static void sizeRatiosCompareLikeWithLike(TestStack stack, List<String> onDemand, List<String> scheduled,
            Map<String, Object> nightly) {
        Map<String, JsonNode> byFile = new java.util.HashMap<>();
        for (JsonNode line : MetricLines.in(stack.audit())) {
            stack.wiring.jobs.find(line.get("jobId").asText()).ifPresent(j -> byFile.put(j.filename(), line));
        }
        assertFalse(byFile.get(onDemand.get(0)).has("BackupSizeRatio"), byFile.get(onDemand.get(0)).toString());
        assertEquals(byFile.get(onDemand.get(1)).get("BackupBytes").asDouble()
                / byFile.get(onDemand.get(0)).get("BackupBytes").asDouble(),
                byFile.get(onDemand.get(1)).get("BackupSizeRatio").asDouble(), 1e-9);
        JsonNode night = byFile.get((String) nightly.get("filename"));
        long previous = stack.s3.headObject(b -> b.bucket(stack.bucket).key(scheduled.get(2))).contentLength();
        assertEquals(12, previous);
        assertEquals(night.get("BackupBytes").asDouble() / previous, night.get("BackupSizeRatio").asDouble(), 1e-9);
        assertEquals("schedule", night.get("Trigger").asText());
    }

    /** The job's metric line: the object's size, the database's rows and size, and no ratio (its first backup). */
    static void backupMetrics(TestStack stack, TestPostgres pg, String database, JobRecord job, long objectSize) {
        JsonNode line = MetricLines.declaring(stack.audit(), "BackupBytes");
        assertEquals(job.jobId(), line.get("jobId").asText());
        assertEquals(objectSize, line.get("BackupBytes").asLong());
        long rows = 0;
        for (String table : pg.query(database, "select format('%I.%I', schemaname, tablename) from pg_tables "
                + "where schemaname not in ('pg_catalog','information_schema')")) {
            rows += Long.parseLong(pg.query(database, "select count(*) from " + table).get(0));
        }
        assertTrue(rows > 4000, "the seed's rows: " + rows);
        assertEquals(rows, line.get("RowsCounted").asLong());
        Manifest manifest = stack.wiring.catalog.manifest(stack.wiring.catalog.find(job.filename()).orElseThrow())
                .orElseThrow();
        assertEquals(manifest.databaseBytes().longValue(), line.get("DatabaseSizeBytes").asLong());
        assertEquals(job.durationMs() / 1000.0, line.get("BackupDurationSeconds").asDouble());
        assertEquals(job.finishedAt().toEpochMilli(), line.at("/_aws/Timestamp").asLong());
        assertEquals("schedule", line.get("Trigger").asText());
        assertFalse(line.has("BackupSizeRatio"), "the first backup of its class has nothing to compare with");
    }
}
