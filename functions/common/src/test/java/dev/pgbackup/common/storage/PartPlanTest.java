package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PartPlanTest {
    private static final long MIB = 1024 * 1024;
    private final PartPlan plan = PartPlan.DEFAULT;

    @Test
    void partsStartSmallAndGrowSoThatTenThousandHoldAnyArchiveAWorkerCanWrite() {
        assertEquals(8 * MIB, plan.partSize(1));
        assertEquals(8 * MIB, plan.partSize(1_000));
        assertEquals(16 * MIB, plan.partSize(1_001));
        assertEquals(64 * MIB, plan.partSize(10_000));
        // 90 minutes (the longest worker) at 100 MB/s of archive is 540 GB; zstd archives are a quarter of that
        assertTrue(plan.capacity() > 500L * 1000 * 1000 * 1000, plan.capacity() + " bytes");
    }

    @Test
    void memoryIsBoundedInBytesWhateverThePartSize() {
        for (int n : new int[] {1, 1_001, 2_001, 3_001, 9_999}) {
            long size = plan.partSize(n);
            long held = plan.buffer() / plan.cost(size);
            assertTrue(held >= 2, "one part filled while another is sent");
            assertTrue(held <= PartPlan.MAX_IN_FLIGHT, held + " parts of " + size);
            assertTrue(held * size <= plan.buffer(), held + " parts of " + size);
        }
        assertEquals(128 * MIB, plan.buffer());
    }

    @Test
    void aPlanWithoutRoomForTwoOfItsLargestPartsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new PartPlan(8 * MIB, 64 * MIB, 100 * MIB));
        assertThrows(IllegalArgumentException.class, () -> new PartPlan(4 * MIB, 64 * MIB, 128 * MIB));
    }
}
