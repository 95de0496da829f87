package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.list.JobStatusHandler;
import dev.pgbackup.list.ListBackupsHandler;
import dev.pgbackup.list.RetentionPreviewHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.MotoResources;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * A stack whose bucket encrypts by default with a customer-managed key (BucketKmsKeyArn) and whose SecureStrings are
 * under another (SsmKmsKeyArn): every function's route and job through the real handlers, so that IamEvaluationIT
 * judges what each needs of those keys (the job records S3 encrypts with the bucket's key, the SecureStrings SSM
 * decrypts for each function) against SsmKeyAccess, BucketKeyAccess and BucketKeyReadAccess.
 */
class CustomerManagedKeysIT {
    @Test
    void everyRouteAndJobWorksUnderTheStacksCustomerManagedKeys() throws Exception {
        TestPostgres pg = TestPostgres.get();
        String db = "cmk_production";
        if (!pg.databaseExists(db)) {
            pg.createDatabase(db);
            SeedData.seed(pg, db, 200, "cmk");
        }
        String bucketKey = MotoResources.createKey("the bucket's default key");
        String ssmKey = MotoResources.createKey("the SecureStrings' key");
        String bucket = ApiStack.newBucket("cmk");
        ApiStack api = ApiStack.create("production", bucket, db, Map.of("BucketKmsKeyArn", bucketKey,
                "SsmKmsKeyArn", ssmKey, "RestoreJobs", "1"));
        TestStack stack = api.stack;
        // the bucket as a stack with CreateBucket=true and BucketKmsKeyArn makes it
        stack.s3.putBucketEncryption(b -> b.bucket(bucket).serverSideEncryptionConfiguration(c -> c.rules(r -> r
                .applyServerSideEncryptionByDefault(d -> d.sseAlgorithm(ServerSideEncryption.AWS_KMS)
                        .kmsMasterKeyID(bucketKey))
                .bucketKeyEnabled(true))));
        Map<String, String> auth = TestStack.bearer(stack.token("ops@example.com", "WEB_ACCESS"));

        ApiStack.Done backup = api.backup();
        assertTrue(backup.succeeded(), backup.toString());
        String filename = backup.job().filename();
        APIGatewayV2HTTPResponse list = stack.handler(ListBackupsHandler.class).handleRequest(
                ApiEvents.request("GET", "/api/setting/backups", auth, null), new TestContext(Duration.ofSeconds(30)));
        assertEquals(200, list.getStatusCode(), list.getBody());
        assertTrue(list.getBody().contains(filename), list.getBody());
        APIGatewayV2HTTPResponse job = stack.handler(JobStatusHandler.class).handleRequest(ApiEvents.request("GET",
                "/api/setting/jobs/" + backup.job().jobId(), auth, null), new TestContext(Duration.ofSeconds(30)));
        assertEquals(200, job.getStatusCode(), job.getBody());
        APIGatewayV2HTTPResponse preview = stack.handler(RetentionPreviewHandler.class).handleRequest(
                ApiEvents.request("GET", "/api/setting/retention", auth, null),
                new TestContext(Duration.ofSeconds(30)));
        assertEquals(200, preview.getStatusCode(), preview.getBody());

        ApiStack.Done restore = api.restore(filename);
        assertTrue(restore.succeeded(), restore.toString());
        JobRecord drill = api.drill();
        assertEquals(JobRecord.Status.SUCCEEDED, drill.status(), drill.message());
    }
}
