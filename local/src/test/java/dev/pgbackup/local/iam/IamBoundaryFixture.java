package dev.pgbackup.local.iam;

import dev.pgbackup.local.iam.IamRequests.Request;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.template.Stack;
import dev.pgbackup.testsupport.RepoPaths;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The two environments {@link IamBoundariesIT} judges, deployed offline from template.yaml as a real two-environment
 * deploy names them, and the requests it builds against them.
 */
abstract class IamBoundaryFixture {
    static final SamTemplate TEMPLATE = SamTemplate.load(RepoPaths.root());
    static final String BUCKET = "pharmatracker-backups";
    static final String BUCKET_KEY = "arn:aws:kms:us-east-1:123456789012:key/bucket-default-key";
    static final String SSM_KEY = "arn:aws:kms:us-east-1:123456789012:key/securestrings-key";
    static final String FILE = "-on-2026-11-28-at-02-00-00-AM-IST.dump";
    static final List<String> API = List.of("BackupApiFunction", "ListBackupsFunction", "JobStatusFunction",
            "RetentionPreviewFunction", "RestoreApiFunction");
    static final List<String> WORKERS = List.of("BackupWorkerFunction", "RestoreWorkerFunction",
            "RestoreDrillFunction");

    static Stack deploy(String environment, Map<String, String> more) {
        Map<String, String> p = new HashMap<>(Map.of("EnvironmentName", environment, "BucketName", BUCKET,
                "DbUrlParameterName", "/pharmatracker/" + environment + "/db-url",
                "JwtSecretParameterName", "/pharmatracker/" + environment + "/jwt-secret",
                "RestorePasskeyParameterName", "/pharmatracker/" + environment + "/restore-passkey",
                "BucketKmsKeyArn", BUCKET_KEY, "SsmKmsKeyArn", SSM_KEY));
        p.putAll(more);
        return TEMPLATE.deploy("pharmatracker-" + environment, p, Map.of());
    }

    // staging accepts any environment's backups (the seed restores production's); production only its own and lists
    // staging's restore roles as readers of its key, as docs/deploy.md orders a two-environment deploy
    static final Stack STAGING = deploy("staging", Map.of("DbInstanceIdentifier", "shared-db", "DrillEnabled", "true"));
    static final Stack PRODUCTION = deploy("production", Map.of("RestoreSourceEnvironments", "production",
            "ClientSideEncryption", "true", "DbSecretArn",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-db-AbCdEf",
            "DbUrlParameterName", "", "DbIamAuth", "true", "DbResourceId", "db-ABCDEFGHIJKL", "DbUser", "backup_user",
            "BackupKeyReaderRoleArns", STAGING.output("RestoreWorkerRoleArn").orElseThrow() + ","
                    + STAGING.output("RestoreApiRoleArn").orElseThrow()));
    /** Production as deployed before it named any reader. */
    static final Stack PRODUCTION_ALONE = deploy("production", Map.of("RestoreSourceEnvironments", "production"));

    final KeyPolicies keys = new KeyPolicies(List.of(STAGING, PRODUCTION));
    final IamRequests requests = new IamRequests(TEMPLATE, keys);

    static String key(Stack stack) {
        return stack.attribute("BackupKey", "Arn");
    }

    Request s3(Stack stack, String function, String action, String key, String what) {
        boolean bucket = key == null;
        return IamRequests.request(stack, function, action, "arn:aws:s3:::" + BUCKET + (bucket ? "" : "/" + key),
                Map.of(), requests.bucketPolicyOf(stack), "the bucket policy", what);
    }

    Request kms(Stack stack, String function, String action, String keyArn, Map<String, Object> context,
            Map<String, Object> keyPolicy, String what) {
        Map<String, Object> c = new LinkedHashMap<>(context);
        c.put("kms:CallerAccount", Stack.ACCOUNT);
        return IamRequests.request(stack, function, action, keyArn, c, keyPolicy, "key policy", what);
    }

    static Map<String, Object> viaS3() {
        return Map.of("kms:ViaService", "s3.us-east-1.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::" + BUCKET, "kms:EncryptionContextKeys",
                List.of("aws:s3:arn"));
    }

    static Map<String, Object> clientSide(String environment) {
        return Map.of("kms:EncryptionContext:app", "pharmatracker", "kms:EncryptionContext:environment", environment,
                "kms:EncryptionContext:filename", "pharmatracker-" + environment + FILE,
                "kms:EncryptionContextKeys", List.of("app", "aws-crypto-public-key", "environment", "filename"));
    }

    static List<String> functions(Stack stack) {
        return stack.functions().stream().map(Stack.Function::logicalId).toList();
    }
}
