package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class S3ArchivesTest {
    @Test
    void partSizeLetsTenThousandPartsHoldTwiceTheDatabase() {
        assertEquals(S3Archives.MIN_PART_SIZE, S3Archives.partSizeFor(0));
        assertEquals(S3Archives.MIN_PART_SIZE, S3Archives.partSizeFor(10L << 30));
        for (long gb : new long[] {50, 100, 500, 2000}) {
            long db = gb << 30;
            long part = S3Archives.partSizeFor(db);
            assertTrue(part * 10_000 >= 2 * db, gb + " GB -> " + part);
            assertTrue(part < 4 * Math.max(S3Archives.MIN_PART_SIZE, 2 * db / 10_000), "not wastefully large");
            assertEquals(0, part % (1 << 20));
        }
    }
}
