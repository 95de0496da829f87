package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Row counts recorded by a backup, against a real PostgreSQL and the layer's real pg_dump: exact for the snapshot
 * pg_dump dumped (rows committed between the count and pg_dump's start are in neither), bounded, and optional.
 */
class BackupRowCountsIT {
    static TestPostgres pg;

    @BeforeAll
    static void server() {
        pg = TestPostgres.get();
        BackupWorkerFixture.pg = pg; // its helpers (restore by hand, the larger database) use it
    }

    /** A fresh database: 200 customers, {@code orders} orders, a partitioned table with two partitions. */
    static String database(int orders) {
        String db = "counts_" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(db);
        SeedData.seed(pg, db, orders, "counts");
        pg.execute(db, """
                set role app_owner;
                create table readings (id int, at date not null) partition by range (at);
                create table readings_2025 partition of readings for values from ('2025-01-01') to ('2026-01-01');
                create table readings_2026 partition of readings for values from ('2026-01-01') to ('2027-01-01');
                insert into readings select g, date '2025-06-01' + (g % 400) from generate_series(1, 500) g;
                create table "Odd Name" (x int);
                insert into "Odd Name" values (1), (2), (3);
                """);
        return db;
    }

    static Manifest backUp(TestStack stack) {
        String name = BackupName.create(stack.wiring.config, Instant.now()).filename();
        BackupWorkerHandler.service(stack.wiringOf(BackupWorkerHandler.class))
                .run(new BackupService.Request(JobStore.newJobId(), name,
                        BackupClass.ON_DEMAND), Deadline.in(Duration.ofMinutes(10)));
        return stack.wiring.catalog.manifest(stack.wiring.catalog.find(name).orElseThrow()).orElseThrow();
    }

    /** The counts as a drill reads them (their own object, checked against the manifest), or null. */
    static Map<String, Long> counts(TestStack stack, Manifest manifest) {
        return stack.wiring.catalog.rowCounts(stack.wiring.catalog.find(manifest.filename()).orElseThrow(), manifest)
                .orElse(null);
    }

    static long rows(String db, String table) {
        return Long.parseLong(pg.query(db, "select count(*) from " + table).get(0));
    }

    @Test
    void theCountsAreThoseOfTheSnapshotPgDumpDumpedNotOfTheDatabaseAfterwards() throws Exception {
        String db = database(300);
        // between the count and pg_dump's start, 7 customers are committed: a dump of its own snapshot would hold
        // them and disagree with the counts
        Path tools = FakeTools.wrapping("pg_dump", """
                echo "$@" >> "$ROOT/args.txt"
                "$ROOT/bin/psql" -X -q \\
                  -c "insert into customers(name) select 'late ' || g from generate_series(1, 7) g" || exit 99
                exec "$REAL" "$@"
                """);
        TestStack stack = TestStack.create("production", BackupWorkerFixture.newBucket(), db,
                Map.of("PG_TOOLS_DIR", tools.toString()));
        Map<String, Long> before = Map.of("public.customers", 200L, "public.orders", 300L,
                "public.readings_2025", rows(db, "readings_2025"), "public.readings_2026", rows(db, "readings_2026"),
                "public.Odd Name", 3L);
        assertEquals(500, before.get("public.readings_2025") + before.get("public.readings_2026"));

        Manifest manifest = backUp(stack);

        // partitions are counted, their partitioned parent (no rows of its own) is not
        assertEquals(before, counts(stack, manifest));
        assertNull(manifest.rowCounts(), "not inline: in their own object");
        assertEquals(207, rows(db, "customers"), "the late customers are committed");
        // the archive holds exactly the counted rows
        String restored = "counts_restored_" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(restored);
        BackupWorkerFixture.pgRestore(BackupWorkerFixture.download(stack.s3, stack.bucket, manifest.filename()),
                restored);
        for (var e : counts(stack, manifest).entrySet()) {
            String[] parts = e.getKey().split("\\.", 2);
            assertEquals(e.getValue().longValue(), rows(restored, "\"" + parts[0] + "\".\"" + parts[1] + "\""),
                    e.getKey());
        }
        assertTrue(Files.readString(tools.resolve("args.txt")).matches("(?s).*--snapshot=[0-9A-F]+-[0-9A-F]+-\\d+.*"),
                Files.readString(tools.resolve("args.txt")));
        // the counting transaction ended with the backup
        assertEquals(List.of(), pg.query("postgres", "select pid from pg_stat_activity where datname = '" + db
                + "' and state like 'idle in transaction%'"));
    }

    @Test
    void countingOffRecordsNoCountsAndDumpsItsOwnSnapshot() throws Exception {
        String db = database(50);
        Path tools = FakeTools.wrapping("pg_dump", "echo \"$@\" >> \"$ROOT/args.txt\"\nexec \"$REAL\" \"$@\"");
        TestStack stack = TestStack.create("production", BackupWorkerFixture.newBucket(), db,
                Map.of("PG_TOOLS_DIR", tools.toString(), "RECORD_ROW_COUNTS", "false"));

        Manifest manifest = backUp(stack);

        assertNull(manifest.rowCounts());
        assertFalse(Files.readString(tools.resolve("args.txt")).contains("--snapshot"));
        String raw = new String(stack.s3.getObjectAsBytes(b -> b.bucket(stack.bucket)
                .key(stack.wiring.keys.manifest(manifest.filename(), BackupClass.ON_DEMAND))).asByteArray());
        assertFalse(raw.contains("rowCounts") || raw.contains("countedTables"), raw);
        assertFalse(manifest.hasRowCounts());
        assertTrue(stack.s3.listObjectsV2(b -> b.bucket(stack.bucket).prefix(stack.wiring.keys.rowCounts(
                manifest.filename()))).contents().isEmpty(), "no counts object");
    }

    @Test
    void countingPastItsBudgetIsUndoneAndTheSnapshotStaysImportable() throws Exception {
        String db = database(20);
        try (Connection blocker = pg.connection(db).open(); Statement s = blocker.createStatement()) {
            blocker.setAutoCommit(false);
            s.execute("lock table orders in access exclusive mode"); // count(*) of orders waits for this

            try (SnapshotCounts counts = SnapshotCounts.take(pg.connection(db),
                    dev.pgbackup.common.storage.RowCounts.MAX_TABLES,
                    Duration.ofMillis(300), List.of(TestPostgres.APP_PASSWORD))) {
                assertNull(counts.counts());
                assertEquals("row counts not recorded: counting 5 tables took longer than its 0.3 s",
                        counts.note().orElseThrow());
                blocker.rollback();
                assertSnapshotImportable(db, counts);
            }
        }
    }

    @Test
    void aDatabaseWithMoreTablesThanTheBoundIsNotCounted() throws Exception {
        String db = database(20);
        try (SnapshotCounts counts = SnapshotCounts.take(pg.connection(db), 4, Duration.ofMinutes(1), List.of())) {
            assertNull(counts.counts());
            assertEquals("row counts not recorded: 5 tables, more than the 4 a backup counts",
                    counts.note().orElseThrow());
            assertSnapshotImportable(db, counts);
        }
    }

    @Test
    void countingIsTimedOnTheLargerTestDatabase() {
        String db = BackupWorkerFixture.bigSource();
        TestStack stack = TestStack.create("production", BackupWorkerFixture.newBucket(), db, Map.of());
        String name = BackupName.create(stack.wiring.config, Instant.now()).filename();

        BackupService.Outcome outcome = BackupWorkerHandler.service(stack.wiringOf(BackupWorkerHandler.class))
                .run(new BackupService.Request(
                        JobStore.newJobId(), name, BackupClass.ON_DEMAND), Deadline.in(Duration.ofMinutes(10)));

        long count = outcome.timings().get("count");
        long total = outcome.timings().values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("[row counts] %s: counting %d ms of a %d ms backup (%.1f %%)%n", db, count, total,
                100.0 * count / total);
        // timed, not asserted (the machine is shared): scripts/bench.sh measures the share on a 250 MB database
        assertTrue(outcome.notes().contains("rows of 2 tables counted in the dump's snapshot"),
                outcome.notes()::toString);
        assertEquals(Map.of("public.customers", 200L, "public.orders", rows(db, "orders")), counts(stack,
                stack.wiring.catalog.manifest(stack.wiring.catalog.find(name).orElseThrow()).orElseThrow()));
    }

    /** Another session can still adopt the counted snapshot (what pg_dump --snapshot does first). */
    private static void assertSnapshotImportable(String db, SnapshotCounts counts) throws Exception {
        String snapshot = counts.pgDumpArguments().get(0).substring("--snapshot=".length());
        try (Connection c = pg.connection(db).open(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("set transaction isolation level repeatable read");
            s.execute("set transaction snapshot '" + snapshot + "'");
            c.rollback();
        }
    }
}
