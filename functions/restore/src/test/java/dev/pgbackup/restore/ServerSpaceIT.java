package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.testsupport.TestPostgres;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * Restores never endanger the server they run on: kept copies are bounded, only databases this stack's journal
 * created are ever dropped (never by name alone), and with the RDS instance named, a restore that would not fit on
 * its disk is refused with the numbers before anything is created.
 */
class ServerSpaceIT {
    static TestPostgres pg;

    @BeforeAll
    static void seed() {
        RestoreIT.seed();
        pg = RestoreIT.pg;
    }

    static List<String> copies(RestoreIT.Fixture f) {
        return pg.databases(DatabaseNames.base(f.target) + "_pre_restore_");
    }

    @Test
    void keptCopiesAreBoundedAndEachOneDroppedIsAudited() {
        RestoreIT.Fixture f = new RestoreIT.Fixture();
        for (int i = 0; i < 3; i++) {
            if (i > 0) {
                f.takeSafetyBackup();
            }
            APIGatewayV2HTTPResponse r = f.restore(f.productionBackup);
            assertEquals(200, r.getStatusCode(), r.getBody());
            assertEquals(1, copies(f).size(), "after restore " + (i + 1) + ": " + copies(f));
        }
        assertEquals(RestoreIT.productionSnapshot, pg.snapshot(copies(f).get(0)), "the newest copy is kept");
        String audit = f.stack.audit();
        assertEquals(2, audit.lines().filter(l -> l.contains("\"action\":\"restore.copy.drop\"")
                && l.contains("\"result\":\"DROPPED\"")).count(), audit);
        assertTrue(f.jobs().stream().anyMatch(j -> j.details().contains("dropped 1 older pre-restore copy beyond the 1 "
                + "kept")), f.jobs().toString());
        f.assertNoLeftovers();
    }

    /**
     * The case: a database named {@code X_pre} on the same server. Its restores' clean-up matched
     * {@code X_pre_restore_<ts>}, which is X's kept copy, and dropped it.
     */
    @Test
    void anotherTargetsCopiesAreNeverDroppedByTheirNameAlone() {
        String x = "shop_" + UUID.randomUUID().toString().substring(0, 6);
        RestoreIT.Fixture first = new RestoreIT.Fixture(Map.of(), Clock.systemUTC(), true, x);
        assertEquals(200, first.restore(first.productionBackup).getStatusCode());
        List<String> xCopies = copies(first);
        assertEquals(1, xCopies.size());
        // a database left by nobody we know, named like a half-built restore of X_pre
        String lookalike = x + "_pre_restore_20200101_000000";
        pg.createDatabase(lookalike);

        RestoreIT.Fixture second = new RestoreIT.Fixture(Map.of(), Clock.systemUTC(), true, x + "_pre");
        APIGatewayV2HTTPResponse r = second.restore(second.productionBackup);

        assertEquals(200, r.getStatusCode(), r.getBody());
        assertTrue(pg.databaseExists(xCopies.get(0)), "X's kept copy is X's");
        assertTrue(pg.databaseExists(lookalike), "not in this stack's journal: not ours to drop");
        pg.dropDatabase(lookalike);
    }

    static void freeStorage(RestoreIT.Fixture f, String instance, double bytes, Instant at) {
        try (CloudWatchClient cw = f.stack.clients.build(CloudWatchClient.builder())) {
            cw.putMetricData(b -> b.namespace("AWS/RDS").metricData(d -> d.metricName("FreeStorageSpace")
                    .dimensions(x -> x.name("DBInstanceIdentifier").value(instance)).timestamp(at).value(bytes)
                    .unit(StandardUnit.BYTES)));
        }
    }

    /** The production backup's manifest, recording a database of {@code databaseBytes}. */
    static void manifest(RestoreIT.Fixture f, long databaseBytes) {
        Instant when = Instant.now().minus(Duration.ofHours(3));
        new Records(f.stack.wiring.objects).write(f.stack.wiring.keys.of("production").manifest(f.productionBackup,
                BackupClass.SCHEDULED),
                new Manifest(f.productionBackup, "production", BackupClass.SCHEDULED, "job",
                        when, when, RestoreIT.productionDump.length, RestoreIT.sha256(RestoreIT.productionDump), "15",
                        "15",
                        "gzip", null).withDatabaseBytes(databaseBytes));
    }

    @Test
    void aRestoreThatWouldNotFitOnTheServersDiskIsRefusedWithTheNumbersBeforeAnythingIsCreated() throws Exception {
        String instance = "staging-db-" + UUID.randomUUID().toString().substring(0, 6);
        RestoreIT.Fixture f = new RestoreIT.Fixture(Map.of("DB_INSTANCE_IDENTIFIER", instance));
        manifest(f, 10_000_000_000L);
        freeStorage(f, instance, 11_000_000_000d, Instant.now().minus(Duration.ofMinutes(3)));

        APIGatewayV2HTTPResponse refused = f.restore(f.productionBackup);

        assertEquals(409, refused.getStatusCode(), refused.getBody());
        String message = (String) Json.MAPPER.readValue(refused.getBody(), Map.class).get("message");
        assertTrue(message.startsWith("Restore refused: the database server has 11.00 GB free (CloudWatch "
                + "FreeStorageSpace of RDS instance " + instance + " at "), message);
        assertTrue(message.contains("less than the 12.00 GB one more copy needs (the backup's database was 10.00 GB, "
                + "plus 20% margin"), message);
        assertTrue(message.endsWith("The database '" + f.target + "' was not changed"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"), "nothing created");

        freeStorage(f, instance, 50_000_000_000d, Instant.now().minus(Duration.ofMinutes(1)));
        f.takeSafetyBackup();
        APIGatewayV2HTTPResponse done = f.restore(f.productionBackup);

        assertEquals(200, done.getStatusCode(), done.getBody());
        JobRecord job = f.jobs().stream().filter(j -> j.status() == JobRecord.Status.SUCCEEDED).findFirst()
                .orElseThrow();
        assertTrue(job.details().contains("free space checked: 50.00 GB free, 12.00 GB needed (CloudWatch "
                + "FreeStorageSpace of RDS instance " + instance), job.details());
        f.assertNoLeftovers();
    }

    @Test
    void aCopyBesideIsCheckedForRoomToo() throws Exception {
        String instance = "staging-db-" + UUID.randomUUID().toString().substring(0, 6);
        RestoreIT.Fixture f = new RestoreIT.Fixture(Map.of("DB_INSTANCE_IDENTIFIER", instance), Clock.systemUTC(),
                false,
                null);
        manifest(f, 10_000_000_000L);
        freeStorage(f, instance, 11_000_000_000d, Instant.now().minus(Duration.ofMinutes(3)));

        APIGatewayV2HTTPResponse refused = f.post("{\"filename\":\"" + f.productionBackup + "\",\"passkey\":\""
                + dev.pgbackup.testsupport.TestStack.PASSKEY + "\",\"into\":\"copy\"}");

        assertEquals(409, refused.getStatusCode(), refused.getBody());
        String message = (String) Json.MAPPER.readValue(refused.getBody(), Map.class).get("message");
        assertTrue(message.startsWith("Restore refused: the database server has 11.00 GB free"), message);
        assertEquals(f.stagingSnapshot, pg.snapshot(f.target));
        assertEquals(List.of(), pg.databases(f.target + "_"), "nothing created");
    }

    @Test
    void withoutTheInstanceTheJobSaysFreeSpaceWasNotChecked() {
        RestoreIT.Fixture f = new RestoreIT.Fixture();
        manifest(f, 10_000_000_000L);

        assertEquals(200, f.restore(f.productionBackup).getStatusCode());

        String details = f.jobs().get(0).details();
        assertTrue(details.contains("free space not checked: DB_INSTANCE_IDENTIFIER is not set (set "
                + "DbInstanceIdentifier for an RDS instance; Aurora grows its own storage and is not checked)"),
                details);
        assertFalse(details.contains("free space checked:"), details);
    }
}
