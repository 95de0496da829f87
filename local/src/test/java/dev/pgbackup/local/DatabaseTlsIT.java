package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.WorkerPayload;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.TlsPostgres;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS to the database as RDS users configure it: {@code sslmode=verify-full} with a root certificate reaches both
 * the JDBC checks and the tools (pg_dump, pg_restore); a wrong CA or a wrong host name is refused with a clear
 * message before anything is written; a connection that does not verify the server is flagged in the audit log.
 */
class DatabaseTlsIT {
    static TlsPostgres tls;
    static final String DB = "tls_source";

    @BeforeAll
    static void start() {
        tls = TlsPostgres.start();
        tls.admin("create database " + DB + " owner " + TlsPostgres.USER);
        tls.execute(DB, "set role " + TlsPostgres.USER + "; create table secrets_of_state (id int primary key, v text);"
                + " insert into secrets_of_state select g, md5(g::text) from generate_series(1, 500) g");
    }

    @AfterAll
    static void stop() {
        if (tls != null) {
            tls.close();
        }
    }

    static TestStack stack(String url) {
        String bucket = "tls-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        TestStack stack = TestStack.create("production", bucket, "postgres", Map.of());
        stack.putParameters(url);
        return stack;
    }

    static Map<String, Object> scheduledBackup(TestStack stack) {
        return stack.handler(BackupWorkerHandler.class).handleRequest(Map.of("source", "aws.events",
                "detail-type", "Scheduled Event", "id", UUID.randomUUID().toString()),
                new TestContext(Duration.ofMinutes(5)));
    }

    @Test
    void verifyFullWithTheRightCaBacksUpAndRestores() {
        TestStack stack = stack(tls.url(DB, "localhost", "verify-full", tls.caCertificate));

        Map<String, Object> backup = scheduledBackup(stack);

        assertEquals("SUCCEEDED", backup.get("status"), String.valueOf(backup.get("message")));
        assertFalse(stack.audit().contains("tlsWarning"), "verify-full raises no warning");
        tls.execute(DB, "set role " + TlsPostgres.USER + "; delete from secrets_of_state where id > 10");
        // the same stack restores its own backup over TLS (JDBC for the swap, pg_restore for the data)
        String filename = (String) backup.get("filename");
        String jobId = JobStore.newJobId();
        assertTrue(stack.wiring.restoreLock().acquire(jobId, "ops", filename).acquired());
        stack.wiring.jobs.save(JobRecord.started(jobId, JobRecord.Type.RESTORE, "production", filename, "ops", "api",
                Instant.now()));
        Map<String, Object> restore = stack.handler(RestoreWorkerHandler.class).handleRequest(
                new WorkerPayload(jobId, "production", filename, "SWAP").toMap(),
                new TestContext(Duration.ofMinutes(5)));
        assertEquals("SUCCEEDED", restore.get("status"), String.valueOf(restore.get("message")));
    }

    @Test
    void aWrongCaOrAWrongHostNameIsRefusedClearlyAndNothingIsWritten() {
        for (String url : new String[] {
                tls.url(DB, "localhost", "verify-full", tls.otherCaCertificate),
                tls.url(DB, "127.0.0.1", "verify-full", tls.caCertificate)}) {
            TestStack stack = stack(url);

            Map<String, Object> backup = scheduledBackup(stack);

            assertEquals("FAILED", backup.get("status"));
            assertEquals("Cannot connect to the database: the TLS connection to the database failed (certificate, host "
                    + "name or sslmode)", backup.get("message"));
            assertTrue(
                    stack.s3.listObjectsV2(b -> b.bucket(stack.bucket).prefix("pharmatracker-")).contents().isEmpty());
            assertFalse(stack.audit().contains(TlsPostgres.PASSWORD));
        }
    }

    @Test
    void aConnectionThatDoesNotVerifyTheServerIsFlagged() {
        TestStack stack = stack(tls.url(DB, "127.0.0.1", "require", null));

        Map<String, Object> backup = scheduledBackup(stack);

        assertEquals("SUCCEEDED", backup.get("status"), String.valueOf(backup.get("message")));
        assertTrue(stack.audit().contains("\"tlsWarning\":\"sslmode=require does not verify the database server"),
                stack.audit());
        assertTrue(BackupName.parse("pharmatracker", (String) backup.get("filename")).isPresent());
    }
}
