package dev.pgbackup.local.iam;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.local.iam.IamRequests.Request;
import dev.pgbackup.local.iam.IamSimulator.Result;
import dev.pgbackup.template.Stack;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What template.yaml must not allow, evaluated as IamEvaluationIT evaluates the recorded calls: one environment's
 * functions touching another's job, claim, lock, state and manifest keys, deleting its backups, the API functions
 * doing a worker's work, the list functions writing anything, a key used by whoever is not its stack or reader, and
 * anything over plain HTTP. Beside them, the few allowed requests that the key-policy decisions (docs/encryption.md)
 * rest on.
 */
class IamBoundariesIT extends IamBoundaryFixture {
    /**
     * The sanitising script is the operator's: it is read by the restore, never written or deleted by any function of
     * either stack (its own or the other's), and no function reads the other environment's script parameter.
     */
    List<Request> sanitisingScripts() {
        List<Request> denied = new ArrayList<>();
        for (Stack stack : List.of(STAGING, PRODUCTION)) {
            for (String function : functions(stack)) {
                for (String env : List.of("staging", "production")) {
                    String script = "pgbackup/sanitize/pharmatracker-" + env + "/mask.sql";
                    denied.add(s3(stack, function, "s3:PutObject", script, function + " writes " + script));
                    denied.add(s3(stack, function, "s3:DeleteObject", script, function + " deletes " + script));
                }
                String other = stack == STAGING ? "production" : "staging";
                denied.add(IamRequests.request(stack, function, "ssm:GetParameter",
                        "arn:aws:ssm:us-east-1:123456789012:"
                                + "parameter/pharmatracker/" + other + "/sanitize-script",
                        Map.of(), null, null,
                        function + " reads " + other + "'s sanitising script"));
            }
        }
        return denied;
    }

    /** The must-be-denied table. */
    List<Request> mustBeDenied() {
        List<Request> denied = new ArrayList<>();
        anotherEnvironmentsState(denied);
        apiFunctionsDoNoWorkersWork(denied);
        keysAreTheirStacksAndTheirReaders(denied);
        // plain HTTP: everything a function may do in the bucket is refused without TLS
        for (Request allowed : allowedInTheBucket()) {
            denied.add(IamRequests.overHttp(allowed));
        }
        return denied;
    }

    /** Another environment's state, both ways, every function: no writes; no reads of what is not a backup source. */
    private void anotherEnvironmentsState(List<Request> denied) {
        for (Stack[] pair : new Stack[][] {{STAGING, PRODUCTION}, {PRODUCTION, STAGING}}) {
            Stack from = pair[0];
            String other = pair[1].parameters().get("EnvironmentName");
            String prefix = "pharmatracker-" + other;
            List<String> keysOfOther = new ArrayList<>(List.of("pgbackup/jobs/" + prefix + "/0b3f.json",
                    "pgbackup/claims/" + prefix + "/0b3f", "pgbackup/locks/" + prefix + "/backup.lock",
                    "pgbackup/locks/" + prefix + "/restore.lock", "pgbackup/locks/" + prefix + "/drill.lock",
                    "pgbackup/state/" + prefix + "/last-backup.json", "pgbackup/state/" + prefix + "/databases.json",
                    "pgbackup/state/" + prefix + "/swap-journal.json"));
            List<String> written = new ArrayList<>(keysOfOther);
            written.add("pgbackup/manifests/" + prefix + "/" + prefix + FILE + ".scheduled.json");
            written.add("pgbackup/manifests/" + prefix + "/" + prefix + FILE + ".counts.json.gz");
            written.add("pgbackup/manifests/" + prefix + "/" + prefix + FILE + ".globals.sql");
            written.add(prefix + FILE);
            for (String function : functions(from)) {
                for (String key : written) {
                    denied.add(s3(from, function, "s3:PutObject", key, from.name + " writes " + other + "'s " + key));
                    denied.add(
                            s3(from, function, "s3:DeleteObject", key, from.name + " deletes " + other + "'s " + key));
                    denied.add(s3(from, function, "s3:AbortMultipartUpload", key,
                            from.name + " aborts an upload to " + key));
                }
                for (String key : keysOfOther) {
                    denied.add(s3(from, function, "s3:GetObject", key, from.name + " reads " + other + "'s " + key));
                }
            }
        }
        // production accepts only its own backups: it reads neither staging's archives nor their manifests
        for (String function : functions(PRODUCTION)) {
            denied.add(s3(PRODUCTION, function, "s3:GetObject", "pharmatracker-staging" + FILE,
                    "production reads a staging backup"));
            denied.add(s3(PRODUCTION, function, "s3:GetObject",
                    "pgbackup/manifests/pharmatracker-staging/pharmatracker-staging"
                            + FILE + ".scheduled.json",
                    "production reads a staging manifest"));
        }
    }

    /** The API functions never do a worker's work. */
    private void apiFunctionsDoNoWorkersWork(List<Request> denied) {
        for (Stack stack : List.of(STAGING, PRODUCTION)) {
            String env = stack.parameters().get("EnvironmentName");
            String own = "pharmatracker-" + env;
            for (String function : API) {
                denied.add(s3(stack, function, "s3:PutObject", own + FILE, function + " writes a backup"));
                denied.add(s3(stack, function, "s3:DeleteObject", own + FILE, function + " deletes a backup"));
                denied.add(s3(stack, function, "s3:PutObject",
                        "pgbackup/manifests/" + own + "/" + own + FILE + ".scheduled.json",
                        function + " writes a manifest"));
                denied.add(s3(stack, function, "s3:PutObject", "pgbackup/claims/" + own + "/0b3f",
                        function + " claims a job"));
                denied.add(s3(stack, function, "s3:PutObject", "pgbackup/state/" + own + "/databases.json",
                        function + " writes the journal of databases"));
                denied.add(s3(stack, function, "s3:ListBucketMultipartUploads", null, function + " lists uploads"));
                denied.add(IamRequests.request(stack, function, "ssm:GetParameter",
                        "arn:aws:ssm:us-east-1:123456789012:parameter/"
                                + "pharmatracker/" + env + "/db-url",
                        Map.of(), null, null, function + " reads the database URL"));
                denied.add(kms(stack, function, "kms:GenerateDataKey", key(stack), viaS3(), keys.of(key(stack)),
                        function + " encrypts with the backup key"));
                denied.add(kms(stack, function, "kms:Decrypt", key(stack), clientSide(env), keys.of(key(stack)),
                        function + " decrypts a client-side data key"));
                denied.add(IamRequests.request(stack, function, "cloudwatch:GetMetricStatistics", "*", Map.of(), null,
                        null,
                        function + " reads the database server's metrics"));
                denied.add(IamRequests.request(stack, function, "events:PutEvents",
                        "arn:aws:events:us-east-1:123456789012:event-bus/default", Map.of(), null, null,
                        function + " announces a job"));
            }
            readOnlyFunctionsWriteNothing(denied, stack, own);
            denied.add(IamRequests.request(stack, "BackupApiFunction", "lambda:InvokeFunction",
                    "arn:aws:lambda:us-east-1:"
                            + "123456789012:function:" + stack.ref("RestoreWorkerFunction"),
                    Map.of(), null, null,
                    "the backup API starts a restore"));
            denied.add(IamRequests.request(stack, "RestoreApiFunction", "lambda:InvokeFunction",
                    "arn:aws:lambda:us-east-1:"
                            + "123456789012:function:" + stack.ref("BackupWorkerFunction"),
                    Map.of(), null, null,
                    "the restore API starts a backup"));
            denied.add(kms(stack, "JobStatusFunction", "kms:GenerateDataKey", BUCKET_KEY, viaS3(), KeyPolicies.DEFAULT,
                    "the job status writes under the bucket's key"));
        }
        for (String function : API) {
            denied.add(IamRequests.request(PRODUCTION, function, "secretsmanager:GetSecretValue",
                    PRODUCTION.parameters().get("DbSecretArn"), Map.of(), null, null,
                    function + " reads the database secret"));
            denied.add(IamRequests.request(PRODUCTION, function, "rds-db:connect",
                    "arn:aws:rds-db:us-east-1:123456789012:"
                            + "dbuser:db-ABCDEFGHIJKL/backup_user",
                    Map.of(), null, null, function + " connects to the database"));
        }
    }

    /** The list, job status and retention preview functions read; they write, start and decrypt nothing. */
    private void readOnlyFunctionsWriteNothing(List<Request> denied, Stack stack, String own) {
        for (String function : List.of("ListBackupsFunction", "JobStatusFunction", "RetentionPreviewFunction")) {
            for (String key : List.of("pgbackup/jobs/" + own + "/0b3f.json", "pgbackup/locks/" + own + "/backup.lock",
                    "pgbackup/state/" + own + "/last-backup.json")) {
                denied.add(s3(stack, function, "s3:PutObject", key, function + " writes " + key));
                denied.add(s3(stack, function, "s3:DeleteObject", key, function + " deletes " + key));
            }
            denied.add(s3(stack, function, "s3:GetObject", own + FILE, function + " reads a backup"));
            for (String worker : List.of("BackupWorkerFunction", "RestoreWorkerFunction")) {
                denied.add(IamRequests.request(stack, function, "lambda:InvokeFunction",
                        "arn:aws:lambda:us-east-1:123456789012:"
                                + "function:" + stack.ref(worker),
                        Map.of(), null, null, function + " starts the " + worker));
            }
            if (!function.equals("JobStatusFunction")) {
                denied.add(kms(stack, function, "kms:Decrypt", BUCKET_KEY, viaS3(), KeyPolicies.DEFAULT,
                        function + " uses the bucket's key (it reads no object)"));
            }
        }
    }

    /** A key is its stack's and its readers': nobody else decrypts, through S3 or directly; nor outside its service. */
    private void keysAreTheirStacksAndTheirReaders(List<Request> denied) {
        String production = key(PRODUCTION);
        Map<String, Object> productionPolicy = keys.of(production);
        for (String function : functions(STAGING)) {
            denied.add(kms(STAGING, function, "kms:Decrypt", key(PRODUCTION_ALONE), viaS3(),
                    KeyPolicies.keyPolicy(PRODUCTION_ALONE),
                    "staging reads production's archive before production names it a reader"));
            denied.add(kms(STAGING, function, "kms:Decrypt", key(PRODUCTION_ALONE), clientSide("production"),
                    KeyPolicies.keyPolicy(PRODUCTION_ALONE),
                    "staging decrypts production's data key before it is a reader"));
            denied.add(kms(STAGING, function, "kms:Decrypt", production, clientSide("staging"), productionPolicy,
                    "staging decrypts with production's key a data key of another context"));
            denied.add(kms(STAGING, function, "kms:GenerateDataKey", production, viaS3(), productionPolicy,
                    "staging encrypts with production's key"));
            if (!List.of("RestoreWorkerFunction", "RestoreApiFunction").contains(function)) {
                denied.add(kms(STAGING, function, "kms:Decrypt", production, viaS3(), productionPolicy,
                        "a staging function that is not a reader decrypts production's archive"));
            }
        }
        denied.add(kms(STAGING, "RestoreApiFunction", "kms:Decrypt", production, clientSide("production"),
                productionPolicy,
                "staging's internet-facing restore API decrypts production's data key itself"));
        Map<String, Object> anyDecrypt = Map.of("Version", "2012-10-17", "Statement", List.of(Map.of("Effect", "Allow",
                "Action", "kms:Decrypt", "Resource", "*")));
        String developer = "arn:aws:iam::123456789012:role/developer";
        for (Map<String, Object> context : List.of(viaS3(), clientSide("production"))) {
            Map<String, Object> c = new LinkedHashMap<>(context);
            c.put("aws:PrincipalArn", developer);
            c.put("aws:PrincipalAccount", Stack.ACCOUNT);
            c.put("kms:CallerAccount", Stack.ACCOUNT);
            denied.add(new Request(developer, "kms:Decrypt", production, c, List.of(new Stack.Policy("DecryptAnything",
                    anyDecrypt)), productionPolicy, "key policy", "a role of the account with kms:Decrypt on * reads "
                            + "production's backups"));
        }
        // the bucket's and the SecureStrings' keys are used only through their services
        for (Stack stack : List.of(STAGING, PRODUCTION)) {
            for (String function : functions(stack)) {
                denied.add(kms(stack, function, "kms:Decrypt", BUCKET_KEY, Map.of(), KeyPolicies.DEFAULT,
                        function + " uses the bucket's key outside S3"));
                denied.add(kms(stack, function, "kms:Decrypt", SSM_KEY, Map.of(), KeyPolicies.DEFAULT,
                        function + " uses the SecureStrings' key outside SSM"));
            }
        }
    }

    /** Requests each function needs in the bucket (their plain-HTTP twins must be denied). */
    List<Request> allowedInTheBucket() {
        List<Request> allowed = new ArrayList<>();
        String own = "pharmatracker-staging";
        for (String function : functions(STAGING)) {
            allowed.add(s3(STAGING, function, "s3:ListBucket", null, function + " lists the bucket"));
        }
        allowed.add(
                s3(STAGING, "BackupWorkerFunction", "s3:PutObject", own + FILE, "the backup worker writes a backup"));
        allowed.add(s3(STAGING, "BackupWorkerFunction", "s3:DeleteObject", own + FILE, "retention deletes a backup"));
        // an archive written before production's key (SSE-S3) needs no key at all: what RestoreSourceEnvironments
        // allows, IAM allows (docs/encryption.md, decision 4)
        allowed.add(s3(STAGING, "RestoreWorkerFunction", "s3:GetObject", "pharmatracker-production" + FILE,
                "staging's restore worker reads a production backup"));
        allowed.add(s3(STAGING, "JobStatusFunction", "s3:GetObject", "pgbackup/jobs/" + own + "/0b3f.json",
                "a job's status"));
        allowed.add(s3(STAGING, "RestoreDrillFunction", "s3:PutObject", "pgbackup/state/" + own + "/databases.json",
                "the drill's journal of databases"));
        return allowed;
    }

    /** What the key-policy decisions allow, on purpose. */
    List<Request> mustBeAllowed() {
        List<Request> allowed = new ArrayList<>(allowedInTheBucket());
        String production = key(PRODUCTION);
        Map<String, Object> policy = keys.of(production);
        allowed.add(kms(PRODUCTION, "BackupWorkerFunction", "kms:GenerateDataKey", production, viaS3(), policy,
                "production's backup worker writes an SSE-KMS archive"));
        allowed.add(kms(PRODUCTION, "BackupWorkerFunction", "kms:GenerateDataKey", production, clientSide("production"),
                policy,
                "production's backup worker encrypts an archive itself"));
        allowed.add(kms(PRODUCTION, "RestoreApiFunction", "kms:Decrypt", production, viaS3(), policy,
                "production's restore API reads its backup's first byte"));
        allowed.add(kms(PRODUCTION, "RestoreDrillFunction", "kms:Decrypt", production, clientSide("production"), policy,
                "production's drill decrypts its archive"));
        allowed.add(kms(STAGING, "RestoreWorkerFunction", "kms:Decrypt", production, viaS3(), policy,
                "staging's restore worker (a reader) reads production's SSE-KMS archive"));
        allowed.add(kms(STAGING, "RestoreWorkerFunction", "kms:Decrypt", production, clientSide("production"), policy,
                "staging's restore worker (a reader) decrypts production's client-side archive"));
        allowed.add(kms(STAGING, "RestoreApiFunction", "kms:Decrypt", production, viaS3(), policy,
                "staging's restore API (a reader) reads production's backup's first byte through S3"));
        allowed.add(kms(STAGING, "JobStatusFunction", "kms:Decrypt", BUCKET_KEY, viaS3(), KeyPolicies.DEFAULT,
                "the job status reads a record under the bucket's key"));
        allowed.add(kms(STAGING, "BackupApiFunction", "kms:GenerateDataKey", BUCKET_KEY, viaS3(), KeyPolicies.DEFAULT,
                "the backup API writes a job record under the bucket's key"));
        Map<String, Object> viaSsm = Map.of("kms:ViaService", "ssm.us-east-1.amazonaws.com",
                "kms:EncryptionContext:PARAMETER_ARN",
                "arn:aws:ssm:us-east-1:123456789012:parameter/pharmatracker/staging/jwt-secret");
        for (String function : functions(STAGING)) {
            allowed.add(kms(STAGING, function, "kms:Decrypt", SSM_KEY, viaSsm, KeyPolicies.DEFAULT, function
                    + " reads a SecureString under the parameters' key"));
        }
        return allowed;
    }

    @Test
    void whatMustBeDeniedIsDenied() {
        List<Request> table = new ArrayList<>(mustBeDenied());
        table.addAll(sanitisingScripts());
        Map<Request, Result> results = IamSimulator.evaluate(table);
        List<String> allowed = new ArrayList<>();
        for (Request r : table) {
            Result result = results.get(r);
            if (!result.denied() || !result.ignoredContextKeys().isEmpty()) {
                allowed.add(r.what() + ": " + r.action() + " on " + r.resource() + " -> " + result.result() + " by "
                        + result.allowedBy() + (result.ignoredContextKeys().isEmpty() ? "" : ", ignored "
                                + result.ignoredContextKeys()));
            }
        }
        System.out.println("IamBoundariesIT: " + table.size() + " requests that must be denied (" + results.size()
                + " distinct), " + allowed.size() + " not denied");
        assertTrue(allowed.isEmpty(),
                allowed.size() + " requests the template must not allow:\n" + String.join("\n", allowed));
    }

    @Test
    void whatTheKeyPolicyDecisionsAllowIsAllowed() {
        List<Request> table = mustBeAllowed();
        Map<Request, Result> results = IamSimulator.evaluate(table);
        List<String> denied = new ArrayList<>();
        for (Request r : table) {
            Result result = results.get(r);
            if (!result.allowed() || !result.ignoredContextKeys().isEmpty()) {
                denied.add(r.what() + ": " + r.action() + " on " + r.resource() + " -> " + result.result()
                        + ", closest " + result.nearMisses() + ", ignored " + result.ignoredContextKeys());
            }
        }
        assertTrue(denied.isEmpty(), String.join("\n", denied));
    }
}
