package dev.pgbackup.common.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.jobs.JobRecord;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The guarantees every caller relies on: built once, on first use, and never a throw into the job's ending. */
class JobEventsTest {
    static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");
    static final JobRecord BACKUP = JobRecord.started("11111111-1111-1111-1111-111111111111", JobRecord.Type.BACKUP,
            "production", "pharmatracker-production-on-2026-11-28-at-03-30-00-PM-IST.dump", "alice", "api", T0);

    @Test
    void theNoticesAreBuiltOnFirstUseAndOnlyOnce() {
        AtomicInteger built = new AtomicInteger();
        JobEvents events = JobEvents.lazy(() -> {
            built.incrementAndGet();
            return finished -> new JobEvents.Delivery("event-1", null, null, null);
        });
        assertEquals(0, built.get(), "nothing is built before a job ends (the API functions never build it)");
        events.publish(BACKUP);
        assertEquals(new JobEvents.Delivery("event-1", null, null, null), events.publish(BACKUP));
        assertEquals(1, built.get());
    }

    @Test
    void aFaultInBuildingOrPublishingBecomesAnErrorInTheAuditLine() {
        JobEvents unbuildable = JobEvents.lazy(() -> {
            throw new IllegalStateException("no region");
        });
        assertEquals(new JobEvents.Delivery(null, "IllegalStateException", null, null), unbuildable.publish(BACKUP));
        JobEvents missingClasses = JobEvents.lazy(() -> finished -> {
            throw new NoClassDefFoundError("software/amazon/awssdk/services/eventbridge/EventBridgeClient");
        });
        JobEvents.Delivery delivery = missingClasses.publish(BACKUP);
        assertEquals(new JobEvents.Delivery(null, "NoClassDefFoundError", null, null), delivery);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AuditLog.Entry audit = new AuditLog(new PrintStream(out, true, StandardCharsets.UTF_8)).entry("backup.job");
        delivery.addTo(audit);
        audit.write("SUCCEEDED");
        String line = out.toString(StandardCharsets.UTF_8);
        assertEquals(true, line.contains("\"eventsError\":\"NoClassDefFoundError\",\"result\":\"SUCCEEDED\""), line);
    }

    @Test
    void theDetailTypeNamesTheJobAndItsOutcome() {
        assertEquals("Backup Succeeded", JobOutcome.detailType(BACKUP.succeeded(T0, 10L, "ok", null)));
        assertEquals("Backup Failed", JobOutcome.detailType(BACKUP.failed(T0, "no", null)));
        JobRecord restore = JobRecord.started("22222222-2222-2222-2222-222222222222", JobRecord.Type.RESTORE, "staging",
                BACKUP.filename(), "bob", "api", T0);
        assertEquals("Restore Succeeded", JobOutcome.detailType(restore.succeeded(T0, 10L, "ok", null)));
        assertEquals("Restore Failed", JobOutcome.detailType(restore.failed(T0, "no", null)));
        assertEquals(new JobOutcome("pharmatracker", "staging", restore.jobId(), BACKUP.filename(), "api", "FAILED",
                "no", null, 0L, T0.toString()),
                JobOutcome.of("pharmatracker", restore.failed(T0, "no", "a diagnostic")));
    }
}
