package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mode a restore chooses from its archive's table of contents, the worker's vCPUs and its disk. */
class RestorePlanTest {
    private static final long MB = 1024 * 1024;
    private static final long DISK = 10_000 * MB;

    /** One table with three indexes (its primary key among them), as pg_restore --list prints it. */
    private static final List<String> ONE_TABLE = List.of(
            ";",
            "; Archive created at 2026-12-05 09:00:00 UTC",
            ";     dbname: shop",
            ";",
            "; Selected TOC Entries:",
            ";",
            "215; 1259 16390 TABLE public readings app_owner",
            "214; 1259 16389 SEQUENCE public readings_id_seq app_owner",
            "3352; 0 16390 TABLE DATA public readings app_owner",
            "3357; 0 0 SEQUENCE SET public readings_id_seq app_owner",
            "3205; 2606 16394 CONSTRAINT public readings readings_pkey app_owner",
            "3203; 1259 16396 INDEX public readings_at_idx app_owner",
            "3204; 1259 16395 INDEX public readings_device_at_idx app_owner");

    @Test
    void entriesAreCountedByKind() {
        TableOfContents.Counts counts = count(many(3));
        assertEquals(3, counts.tableData());
        assertEquals(3, counts.indexes());
        assertEquals(3, counts.constraints());
        assertEquals(2, counts.foreignKeys());
        assertEquals(11, counts.independent());
        // every entry, comments and blank lines aside
        assertEquals(3 * 4 + 2, counts.entries());
    }

    @Test
    void kindsAreTellApartFromTheirLongerNamesakes() {
        TableOfContents.Counts counts = count(List.of(
                "3400; 0 0 INDEX ATTACH public events_2026_at_idx app_owner",
                "3401; 0 16500 MATERIALIZED VIEW DATA public daily app_owner",
                "3402; 1259 16501 TABLE public \"TABLE DATA odd\" app_owner",
                "3403; 2606 16502 FK CONSTRAINT public a a_b_fkey app_owner"));
        assertEquals(0, counts.tableData());
        assertEquals(0, counts.indexes());
        assertEquals(0, counts.constraints());
        assertEquals(1, counts.foreignKeys());
        assertEquals(4, counts.entries());
    }

    @Test
    void oneBigTableIsStreamedWhateverTheVcpus() {
        for (int vcpus : new int[] {2, 6, 64}) {
            RestorePlan.Choice c = RestorePlan.choose(0, vcpus, count(ONE_TABLE), 500 * MB, false, DISK);
            assertEquals(1, c.jobs(), c.reason());
            assertEquals("restore mode: streamed, 1 TABLE DATA, 2 INDEX, 1 CONSTRAINT, 0 FK CONSTRAINT entries are too "
                    + "little independent work for " + vcpus + " jobs", c.reason());
        }
    }

    @Test
    void manyTablesAreRestoredInParallelWithOneJobPerVcpu() {
        TableOfContents.Counts toc = count(many(2_000));
        RestorePlan.Choice auto = RestorePlan.choose(0, 6, toc, 5_000 * MB, false, DISK);
        assertEquals(6, auto.jobs());
        assertEquals("restore mode: 6 jobs, 2,000 TABLE DATA, 2,000 INDEX, 2,000 CONSTRAINT, 1,999 FK CONSTRAINT "
                + "entries to share", auto.reason());
    }

    @Test
    void enoughTablesForEveryVcpuAreNeeded() {
        // four tables keep two jobs busy, not three
        assertEquals(2, RestorePlan.choose(0, 2, count(many(4)), 50 * MB, false, DISK).jobs());
        RestorePlan.Choice three = RestorePlan.choose(0, 3, count(many(4)), 50 * MB, false, DISK);
        assertEquals(1, three.jobs(), three.reason());
        assertEquals(1, RestorePlan.choose(0, 2, count(many(3)), 50 * MB, false, DISK).jobs());
    }

    @Test
    void manyTinyTablesAreSharedAmongTheJobsToo() {
        // their commits no longer wait for the WAL (Fill.intoNew), and a job's round trips overlap the other's
        RestorePlan.Choice tiny = RestorePlan.choose(0, 2, count(many(2_000)), 8 * MB, false, DISK);
        assertEquals(2, tiny.jobs(), tiny.reason());
        assertTrue(tiny.reason().startsWith("restore mode: 2 jobs, 2,000 TABLE DATA"), tiny.reason());
    }

    @Test
    void configuredJobsAreTheOperatorsChoiceWhateverTheTableOfContents() {
        RestorePlan.Choice two = RestorePlan.choose(2, 1, count(ONE_TABLE), 500 * MB, false, DISK);
        assertEquals(2, two.jobs());
        assertEquals("restore mode: 2 jobs as RESTORE_JOBS=2 asks (1 TABLE DATA, 2 INDEX, 1 CONSTRAINT, 0 FK "
                + "CONSTRAINT entries)", two.reason());
        assertEquals(8, RestorePlan.choose(8, 2, count(many(2_000)), 50 * MB, false, DISK).jobs());
        assertEquals(3, RestorePlan.choose(3, 6, TableOfContents.Counts.UNKNOWN, 50 * MB, false, DISK).jobs());
    }

    @Test
    void oneJobOrOneVcpuStreams() {
        TableOfContents.Counts toc = count(many(100));
        assertEquals("restore mode: streamed, RESTORE_JOBS=1", RestorePlan.choose(1, 6, toc, MB, false, DISK).reason());
        assertEquals("restore mode: streamed, the worker has one vCPU",
                RestorePlan.choose(0, 1, toc, MB, false, DISK).reason());
        assertEquals("restore mode: streamed, the table of contents was not counted",
                RestorePlan.choose(0, 2, TableOfContents.Counts.UNKNOWN, MB, false, DISK).reason());
    }

    @Test
    void anArchiveThatDoesNotFitTheDiskIsStreamed() {
        TableOfContents.Counts toc = count(many(100));
        for (int jobs : new int[] {0, 2}) {
            assertEquals(2, RestorePlan.choose(jobs, 2, toc, 1_000 * MB, false, 1_300 * MB).jobs());
            RestorePlan.Choice encrypted = RestorePlan.choose(jobs, 2, toc, 1_000 * MB, true, 1_300 * MB);
            assertEquals("restore mode: streamed, the archive needs 2,256 MB of the worker's disk, 1,300 MB are free",
                    encrypted.reason());
            assertEquals("restore mode: streamed, the worker's disk could not be read",
                    RestorePlan.choose(jobs, 2, toc, 1_000 * MB, false, -1).reason());
        }
    }

    /** {@code n} tables, each with data, a primary key and an index, each but the first referencing the one before. */
    private static List<String> many(int n) {
        List<String> lines = new ArrayList<>(List.of(";", "; Selected TOC Entries:", ";"));
        for (int i = 0; i < n; i++) {
            lines.add((100 + i) + "; 1259 " + (20000 + i) + " TABLE tenant t" + i + " app_owner");
            lines.add((5000 + i) + "; 0 " + (20000 + i) + " TABLE DATA tenant t" + i + " app_owner");
            lines.add((9000 + i) + "; 2606 " + (30000 + i) + " CONSTRAINT tenant t" + i + " t" + i + "_pkey app_owner");
            lines.add((13000 + i) + "; 1259 " + (40000 + i) + " INDEX tenant t" + i + "_created_idx app_owner");
            if (i > 0) {
                lines.add((17000 + i) + "; 2606 " + (50000 + i) + " FK CONSTRAINT tenant t" + i + " t" + i
                        + "_prev_fkey app_owner");
            }
        }
        return lines;
    }

    private static TableOfContents.Counts count(List<String> lines) {
        TableOfContents toc = new TableOfContents();
        lines.forEach(toc);
        return toc.counts();
    }
}
