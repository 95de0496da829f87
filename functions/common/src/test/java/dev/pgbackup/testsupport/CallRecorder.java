package dev.pgbackup.testsupport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Records every request one function's clients make, as IAM will judge it: the service, the operation, the
 * parameters that name a resource or set a condition key (bucket, key, prefix, the encryption headers, a KMS key and
 * encryption context, a parameter or secret, a function, a topic or bus), and the response's encryption (an object
 * S3 decrypts on the caller's behalf). Bodies, values and secrets are never recorded: only whitelisted members.
 * Failed calls are recorded too: AWS checks permissions before anything else.
 */
public class CallRecorder implements ExecutionInterceptor {
    /** Request members that name what is called or what a condition key is made from. */
    static final Set<String> REQUEST_MEMBERS = Set.of("Bucket", "Key", "Prefix", "Delimiter", "VersionId", "UploadId",
            "PartNumber", "CopySource", "StorageClass", "ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled",
            "IfNoneMatch", "IfMatch", "Range", "ChecksumMode", "Name", "WithDecryption", "SecretId", "VersionStage",
            "KeyId", "EncryptionContext", "KeySpec", "NumberOfBytes", "FunctionName", "InvocationType", "Qualifier",
            "TopicArn", "Entries", "EventBusName", "Source", "Namespace", "MetricName", "EncryptionAlgorithm", "Delete",
            "Objects");
    /** Response members that show what AWS did on the caller's behalf (S3 asking KMS, KMS's key). */
    static final Set<String> RESPONSE_MEMBERS = Set.of("ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled",
            "UploadId", "KeyId");

    private final CallLog log;
    private final String stack;
    private final String function;

    public CallRecorder(CallLog log, String stack, String function) {
        this.log = log;
        this.stack = stack;
        this.function = function;
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        record(context.request(), context.response(), null, attributes);
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        Throwable e = context.exception();
        String failure = e.getClass().getSimpleName();
        if (e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException aws) {
            failure = aws.statusCode() + " " + aws.awsErrorDetails().errorCode();
        }
        record(context.request(), context.response().orElse(null), failure, attributes);
    }

    private void record(Object request, Object response, String failure, ExecutionAttributes attributes) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("type", "call");
        line.put("stack", stack);
        line.put("function", function);
        line.put("service", attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME));
        line.put("operation", attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
        line.put("request", members(request, REQUEST_MEMBERS));
        if (response != null) {
            line.put("response", members(response, RESPONSE_MEMBERS));
        }
        if (failure != null) {
            line.put("failure", failure);
        }
        log.write(line);
    }

    static Map<String, Object> members(Object pojo, Set<String> wanted) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (!(pojo instanceof SdkPojo sdk)) {
            return values;
        }
        for (SdkField<?> field : sdk.sdkFields()) {
            if (!wanted.contains(field.memberName())) {
                continue;
            }
            Object value = simple(field.getValueOrDefault(pojo), wanted);
            if (value != null) {
                values.put(field.memberName(), value);
            }
        }
        return values;
    }

    private static Object simple(Object value, Set<String> wanted) {
        if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean) {
            return value;
        }
        if (value instanceof Enum<?> || value.getClass().getName().startsWith("software.amazon.awssdk.services")
                && !(value instanceof SdkPojo)) {
            return String.valueOf(value);
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(String.valueOf(k), simple(v, wanted)));
            return copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            list.forEach(v -> copy.add(simple(v, wanted)));
            return copy;
        }
        if (value instanceof SdkPojo nested) {
            return members(nested, wanted);
        }
        return null;
    }
}
