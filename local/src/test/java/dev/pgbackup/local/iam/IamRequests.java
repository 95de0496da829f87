package dev.pgbackup.local.iam;

import static dev.pgbackup.local.iam.RecordedFields.bucket;
import static dev.pgbackup.local.iam.RecordedFields.encryptionContext;
import static dev.pgbackup.local.iam.RecordedFields.encryptionHeaders;
import static dev.pgbackup.local.iam.RecordedFields.kmsKeyOf;
import static dev.pgbackup.local.iam.RecordedFields.object;

import dev.pgbackup.local.iam.Recordings.Call;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.template.Stack;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A recorded call as the IAM requests AWS evaluates for it: the action(s) its operation needs (HeadObject is
 * s3:GetObject, ListObjectsV2 s3:ListBucket, a multipart upload s3:PutObject, ...), the resource's ARN, the
 * condition keys AWS sets, and the calls AWS then makes with the function's credentials: S3's KMS calls for an
 * SSE-KMS object, SSM's and Secrets Manager's for what they decrypt, RDS's check of an IAM authentication token.
 * Each request carries the policies that decide it: the function's role's, and the bucket or key policy.
 */
final class IamRequests {
    static final String REGION = Stack.REGION;
    static final String ACCOUNT = Stack.ACCOUNT;

    /** One request to evaluate; {@code what} says, for a reader, which call it comes from and why. */
    record Request(String principal, String action, String resource, Map<String, Object> context,
            List<Stack.Policy> identity, Map<String, Object> resourcePolicy, String resourcePolicyName,
            String what) {}

    private final SamTemplate template;
    private final KeyPolicies keys;
    private final Map<String, Map<String, Object>> bucketPolicies = new HashMap<>();
    private final Map<String, String> uploadKeys = new HashMap<>();

    IamRequests(SamTemplate template, KeyPolicies keys) {
        this.template = template;
        this.keys = keys;
    }

    /**
     * A request of a function of {@code stack} built by hand (the boundary table): the function's role and policies,
     * the global condition keys its calls carry, and {@code context} on top.
     */
    static Request request(Stack stack, String function, String action, String resource, Map<String, Object> context,
            Map<String, Object> resourcePolicy, String resourcePolicyName, String what) {
        Caller caller = Caller.of(stack, function);
        return new Request(caller.role(), action, resource, caller.context(context), caller.policies(), resourcePolicy,
                resourcePolicyName, what);
    }

    /** The same request over plain HTTP. */
    static Request overHttp(Request r) {
        Map<String, Object> context = new TreeMap<>(r.context());
        context.put("aws:SecureTransport", "false");
        return new Request(r.principal(), r.action(), r.resource(), context, r.identity(), r.resourcePolicy(),
                r.resourcePolicyName(), r.what() + ", over plain HTTP");
    }

    /** The bucket policy a request of {@code stack} meets (the template's, as the creating stack sets it). */
    Map<String, Object> bucketPolicyOf(Stack stack) {
        return bucketPolicy(stack, stack.parameters().get("BucketName"));
    }

    /** Resolving a function's role is the slow part: once per stack and function. */
    private final Map<Stack, Map<String, Caller>> callers = new java.util.IdentityHashMap<>();

    private Caller caller(Stack stack, String function) {
        return callers.computeIfAbsent(stack, s -> new HashMap<>()).computeIfAbsent(function,
                f -> Caller.of(stack, f));
    }

    List<Request> of(Call call) {
        Caller caller = caller(call.stack(), call.function());
        List<Request> out = new ArrayList<>();
        if (!objectCalls(caller, call, out) && !bucketCalls(caller, call, out) && !secretCalls(caller, call, out)
                && !otherCalls(caller, call, out)) {
            throw new IllegalStateException("no IAM mapping for " + call.service() + "." + call.operation()
                    + " (add it to IamRequests): " + call.describe());
        }
        return out;
    }

    /** Calls on one object (S3 checks the object's ARN, KMS its key); false if {@code call} is none of them. */
    private boolean objectCalls(Caller caller, Call call, List<Request> out) {
        Map<String, Object> q = call.request();
        Map<String, Object> r = call.response();
        boolean ok = call.failure() == null;
        switch (call.service() + "." + call.operation()) {
            case "S3.GetObject" -> {
                out.add(s3(caller, q.containsKey("VersionId") ? "s3:GetObjectVersion" : "s3:GetObject", object(q),
                        Map.of(), call));
                if (ok) {
                    readKey(caller, q, r, call, out);
                }
            }
            case "S3.HeadObject" ->
                out.add(s3(caller, q.containsKey("VersionId") ? "s3:GetObjectVersion" : "s3:GetObject",
                        object(q), Map.of(), call));
            case "S3.PutObject" -> {
                out.add(s3(caller, "s3:PutObject", object(q), encryptionHeaders(q), call));
                writeKey(caller, q, call, out);
            }
            case "S3.CreateMultipartUpload" -> {
                out.add(s3(caller, "s3:PutObject", object(q), encryptionHeaders(q), call));
                String key = writeKey(caller, q, call, out);
                if (key != null && r.get("UploadId") != null) {
                    uploadKeys.put((String) r.get("UploadId"), key);
                }
            }
            case "S3.UploadPart", "S3.CompleteMultipartUpload" -> {
                out.add(s3(caller, "s3:PutObject", object(q), Map.of(), call));
                String key = uploadKeys.getOrDefault((String) q.get("UploadId"), kmsKeyOf(r));
                if (key != null) {
                    // S3 decrypts the upload's data key for each part and to complete it
                    out.add(viaS3(caller, "kms:Decrypt", key, q, call, "the upload's data key"));
                } else {
                    defaultKey(caller, "kms:Decrypt", q, call, out);
                }
            }
            case "S3.AbortMultipartUpload" -> out.add(s3(caller, "s3:AbortMultipartUpload", object(q), Map.of(), call));
            case "S3.ListParts" -> out.add(s3(caller, "s3:ListMultipartUploadParts", object(q), Map.of(), call));
            case "S3.DeleteObject" -> out.add(s3(caller, q.containsKey("VersionId") ? "s3:DeleteObjectVersion"
                    : "s3:DeleteObject", object(q), Map.of(), call));
            case "S3.CopyObject" -> {
                String source = String.valueOf(q.get("CopySource"));
                out.add(s3(caller, "s3:GetObject", "arn:aws:s3:::" + source.replaceFirst("\\?.*", ""), Map.of(), call));
                out.add(s3(caller, "s3:PutObject", object(q), encryptionHeaders(q), call));
                writeKey(caller, q, call, out);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** Calls on the bucket, and batch deletes (checked object by object); false if {@code call} is none. */
    private boolean bucketCalls(Caller caller, Call call, List<Request> out) {
        Map<String, Object> q = call.request();
        switch (call.service() + "." + call.operation()) {
            case "S3.ListMultipartUploads" ->
                out.add(s3(caller, "s3:ListBucketMultipartUploads", bucket(q), Map.of(), call));
            case "S3.DeleteObjects" -> {
                // S3 checks s3:DeleteObject (or DeleteObjectVersion) for each object of the batch
                Object delete = q.getOrDefault("Delete", Map.of());
                Object objects = ((Map<?, ?>) delete).get("Objects");
                for (Object o : objects == null ? List.of() : (List<?>) objects) {
                    Map<?, ?> object = (Map<?, ?>) o;
                    out.add(s3(caller, object.get("VersionId") != null ? "s3:DeleteObjectVersion" : "s3:DeleteObject",
                            "arn:aws:s3:::" + q.get("Bucket") + "/" + object.get("Key"), Map.of(), call));
                }
            }
            case "S3.ListObjectsV2", "S3.ListObjects" -> {
                Map<String, Object> context = new TreeMap<>();
                context.put("s3:prefix", q.getOrDefault("Prefix", ""));
                if (q.get("Delimiter") != null) {
                    context.put("s3:delimiter", q.get("Delimiter"));
                }
                out.add(s3(caller, "s3:ListBucket", bucket(q), context, call));
            }
            case "S3.ListObjectVersions" -> out.add(s3(caller, "s3:ListBucketVersions", bucket(q), Map.of(), call));
            case "S3.HeadBucket" -> out.add(s3(caller, "s3:ListBucket", bucket(q), Map.of(), call));
            default -> {
                return false;
            }
        }
        return true;
    }

    /** Reads of SSM parameters and secrets, with their service's decryption; false if {@code call} is none. */
    private boolean secretCalls(Caller caller, Call call, List<Request> out) {
        Map<String, Object> q = call.request();
        boolean ok = call.failure() == null;
        switch (call.service() + "." + call.operation()) {
            case "Ssm.GetParameter" -> {
                String arn = "arn:aws:ssm:" + REGION + ":" + ACCOUNT + ":parameter"
                        + (String.valueOf(q.get("Name")).startsWith("/") ? "" : "/") + q.get("Name");
                out.add(plain(caller, "ssm:GetParameter", arn, call));
                if (ok && Boolean.TRUE.equals(q.get("WithDecryption"))) {
                    String key = caller.parameter("SsmKmsKeyArn", KeyPolicies.AWS_SSM_KEY);
                    out.add(viaService(caller, "kms:Decrypt", "ssm", key, Map.of("PARAMETER_ARN", arn), call,
                            "SSM decrypts the SecureString with its key"));
                }
                databaseLogin(caller, String.valueOf(q.get("Name")), call, out);
            }
            case "SecretsManager.GetSecretValue" -> {
                String arn = String.valueOf(q.get("SecretId"));
                out.add(plain(caller, "secretsmanager:GetSecretValue", arn, call));
                if (ok) {
                    String key = caller.parameter("DbSecretKmsKeyArn", KeyPolicies.AWS_SECRETSMANAGER_KEY);
                    out.add(viaService(caller, "kms:Decrypt", "secretsmanager", key, Map.of("SecretARN", arn), call,
                            "Secrets Manager decrypts the secret with its key"));
                }
                databaseLogin(caller, arn, call, out);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** KMS itself, invocations, events, notifications and metrics; false if {@code call} is none of them. */
    private boolean otherCalls(Caller caller, Call call, List<Request> out) {
        Map<String, Object> q = call.request();
        Map<String, Object> r = call.response();
        switch (call.service() + "." + call.operation()) {
            case "Kms.GenerateDataKey", "Kms.Decrypt", "Kms.Encrypt", "Kms.DescribeKey",
                    "Kms.GenerateDataKeyWithoutPlaintext" -> {
                String key = String.valueOf(q.getOrDefault("KeyId", r.get("KeyId")));
                if (!key.startsWith("arn:")) {
                    key = kmsKeyOf(r) != null ? kmsKeyOf(r) : key;
                }
                Map<String, Object> context = encryptionContext(q.get("EncryptionContext"));
                out.add(new Request(caller.role(), "kms:" + call.operation(), key, caller.context(context),
                        caller.policies(), keys.of(key), keys.owner(key), call.describe()));
            }
            case "Lambda.Invoke" -> {
                String name = String.valueOf(q.get("FunctionName"));
                String arn = name.startsWith("arn:") ? name
                        : "arn:aws:lambda:" + REGION + ":" + ACCOUNT + ":function:" + name;
                if (q.get("Qualifier") != null) {
                    arn += ":" + q.get("Qualifier");
                }
                out.add(plain(caller, "lambda:InvokeFunction", arn, call));
            }
            case "EventBridge.PutEvents" -> {
                Set<String> buses = new LinkedHashSet<>();
                for (Object entry : (List<?>) q.getOrDefault("Entries", List.of())) {
                    Object bus = ((Map<?, ?>) entry).get("EventBusName");
                    buses.add(bus == null ? "default" : String.valueOf(bus));
                }
                for (String bus : buses) {
                    out.add(plain(caller, "events:PutEvents", bus.startsWith("arn:") ? bus
                            : "arn:aws:events:" + REGION + ":" + ACCOUNT + ":event-bus/" + bus, call));
                }
            }
            case "Sns.Publish" -> out.add(plain(caller, "sns:Publish", String.valueOf(q.get("TopicArn")), call));
            case "CloudWatch.GetMetricStatistics", "CloudWatch.GetMetricData" ->
                out.add(plain(caller, "cloudwatch:" + call.operation(), "*", call));
            default -> {
                return false;
            }
        }
        return true;
    }

    private Request s3(Caller caller, String action, String resource, Map<String, Object> context, Call call) {
        String bucketName = resource.substring("arn:aws:s3:::".length()).split("/", 2)[0];
        return new Request(caller.role(), action, resource, caller.context(context), caller.policies(),
                bucketPolicy(caller.stack(), bucketName), "the bucket policy", call.describe());
    }

    private static Request plain(Caller caller, String action, String resource, Call call) {
        return new Request(caller.role(), action, resource, caller.context(Map.of()), caller.policies(), null, null,
                call.describe());
    }

    /**
     * The bucket's policy: the template's, as the stack that creates the bucket (CreateBucket=true; one of the
     * environments' stacks) sets it.
     */
    @SuppressWarnings("unchecked")
    private Map<String, Object> bucketPolicy(Stack stack, String bucket) {
        return bucketPolicies.computeIfAbsent(bucket, b -> {
            Map<String, String> parameters = new HashMap<>(stack.parameters());
            parameters.put("CreateBucket", "true");
            parameters.put("BucketName", b);
            Stack creator = template.deploy(stack.name + "-bucket", parameters, Map.of());
            return (Map<String, Object>) creator.properties("BackupBucketPolicy").get("PolicyDocument");
        });
    }

    /** S3 writing an object: GenerateDataKey with the key the request names, else the bucket's default key. */
    private String writeKey(Caller caller, Map<String, Object> q, Call call, List<Request> out) {
        if ("aws:kms".equals(q.get("ServerSideEncryption")) && q.get("SSEKMSKeyId") != null) {
            String key = (String) q.get("SSEKMSKeyId");
            out.add(viaS3(caller, "kms:GenerateDataKey", key, q, call, "S3 encrypts the object with the key it names"));
            return key;
        }
        return defaultKey(caller, "kms:GenerateDataKey", q, call, out);
    }

    /** S3 reading an object back: Decrypt with the key it is stored under (moto's answer), or the bucket's default. */
    private void readKey(Caller caller, Map<String, Object> q, Map<String, Object> r, Call call, List<Request> out) {
        String key = kmsKeyOf(r);
        if (key != null) {
            out.add(viaS3(caller, "kms:Decrypt", key, q, call, "S3 decrypts the object's data key"));
        } else {
            defaultKey(caller, "kms:Decrypt", q, call, out);
        }
    }

    /**
     * An object without its own key is encrypted with the bucket's default: SSE-S3 (no KMS call), or the
     * BucketKmsKeyArn a created bucket has (moto's buckets have no default encryption, so this is the template's).
     */
    private String defaultKey(Caller caller, String action, Map<String, Object> q, Call call, List<Request> out) {
        String bucketKey = caller.parameters().get("BucketKmsKeyArn");
        if (bucketKey == null || bucketKey.isEmpty()) {
            return null;
        }
        out.add(viaS3(caller, action, bucketKey, q, call, "the bucket's default key (BucketKmsKeyArn)"));
        return bucketKey;
    }

    /** A KMS call S3 makes with the function's credentials; with the S3 Bucket Key its context is the bucket. */
    private Request viaS3(Caller caller, String action, String key, Map<String, Object> q, Call call, String why) {
        return viaService(caller, action, "s3", key, Map.of("aws:s3:arn", "arn:aws:s3:::" + q.get("Bucket")), call,
                why);
    }

    private Request viaService(Caller caller, String action, String service, String key,
            Map<String, String> encryptionContext, Call call, String why) {
        Map<String, Object> context = encryptionContext(encryptionContext);
        context.put("kms:ViaService", service + "." + REGION + ".amazonaws.com");
        return new Request(caller.role(), action, key, caller.context(context), caller.policies(), keys.of(key),
                keys.owner(key), call.describe() + ": " + why);
    }

    /**
     * With IAM database authentication, a function that reads the database's location next connects with a token
     * its role signed, which RDS accepts only if the role may rds-db:connect as that user (the token is signed
     * locally, so the call is derived from the read, not recorded).
     */
    private static void databaseLogin(Caller caller, String source, Call call, List<Request> out) {
        Map<String, String> p = caller.parameters();
        boolean ownDatabase = source.equals(p.get("DbSecretArn")) || source.equals(p.get("DbUrlParameterName"));
        if ("true".equals(p.get("DbIamAuth")) && ownDatabase) {
            out.add(plain(caller, "rds-db:connect", "arn:aws:rds-db:" + REGION + ":" + ACCOUNT + ":dbuser:"
                    + p.get("DbResourceId") + "/" + p.get("DbUser"),
                    new Call(call.stack(), call.stackId(), call.function(), "rds-db",
                            "connect", Map.of("FunctionName", "as " + p.get("DbUser") + " with an IAM token, after "
                                    + call.describe()),
                            Map.of(), null, call.module())));
        }
    }
}
