package dev.pgbackup.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.failure.Failure;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackupWindowTest {
    private static final BackupWindow LAMBDA = new BackupWindow(Duration.ofSeconds(855), 50,
            Config.WorkerCompute.LAMBDA);
    private static final BackupWindow MANAGED = new BackupWindow(Duration.ofSeconds(5355), 50,
            Config.WorkerCompute.MANAGED_INSTANCES);

    @Test
    void theEstimateIsSizeOverRate() {
        assertEquals(Duration.ofSeconds(20), LAMBDA.estimate(1_000_000_000L));
        assertEquals(Duration.ofMillis(1), LAMBDA.estimate(1));
    }

    @Test
    void aDatabaseFitsUpToTheWindow() {
        assertTrue(LAMBDA.fits(855L * 50_000_000));
        assertFalse(LAMBDA.fits(855L * 50_000_000 + 50_001));
        assertTrue(MANAGED.fits(855L * 50_000_000 + 50_001));
        assertTrue(MANAGED.fits(5355L * 50_000_000));
        assertFalse(MANAGED.fits(5355L * 50_000_000 + 50_001));
    }

    @Test
    void aRefusalSaysWhyAndWhatToDo() {
        LAMBDA.check("production", 42_000_000_000L, "pg_database_size"); // 14 min: fits
        Failure f = assertThrows(Failure.class, () -> LAMBDA.check("production", 61_300_000_000L, "pg_database_size"));
        assertEquals(422, f.status());
        assertEquals("Backup refused: the database of 'production' is 61.3 GB (pg_database_size); at 50 MB/s a backup "
                + "takes about 20 min, longer than the 14 min a backup may run on this stack. Nothing was started. "
                + "Run the workers on Lambda Managed Instances (stack parameter WorkerCompute=managed-instances, "
                + "WorkerTimeoutSeconds up to 5400), or set BackupRateMBps to a rate measured on this database",
                f.getMessage());
        Failure beyond = assertThrows(Failure.class, () -> MANAGED.check("production", 300_000_000_000L, "x"));
        assertTrue(beyond.getMessage().contains("takes about 100 min, longer than the 89 min"), beyond.getMessage());
        assertTrue(
                beyond.getMessage().endsWith("beyond 90 minutes a backup needs a container task (see docs/limits.md, "
                        + "'Beyond 90 minutes')"),
                beyond.getMessage());
    }
}
