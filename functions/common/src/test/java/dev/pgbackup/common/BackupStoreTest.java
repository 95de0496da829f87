package dev.pgbackup.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackupStoreTest {
    @Test
    void partSizeLetsTenThousandPartsHoldTwiceTheDatabase() {
        assertEquals(BackupStore.MIN_PART_SIZE, BackupStore.partSizeFor(0));
        assertEquals(BackupStore.MIN_PART_SIZE, BackupStore.partSizeFor(10L << 30));
        for (long gb : new long[] {50, 100, 500, 2000}) {
            long db = gb << 30;
            long part = BackupStore.partSizeFor(db);
            assertTrue(part * 10_000 >= 2 * db, gb + " GB -> " + part);
            assertTrue(part < 4 * Math.max(BackupStore.MIN_PART_SIZE, 2 * db / 10_000), "not wastefully large");
            assertEquals(0, part % (1 << 20));
        }
    }
}
