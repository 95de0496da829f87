package dev.pgbackup.local.iam;

import dev.pgbackup.template.Stack;
import java.util.Map;
import java.util.TreeMap;

/** What a recorded request or answer names, in the form IAM evaluates it: ARNs, condition keys, the KMS key. */
final class RecordedFields {
    private RecordedFields() {}

    static String object(Map<String, Object> q) {
        return "arn:aws:s3:::" + q.get("Bucket") + "/" + q.get("Key");
    }

    static String bucket(Map<String, Object> q) {
        return "arn:aws:s3:::" + q.get("Bucket");
    }

    static Map<String, Object> encryptionHeaders(Map<String, Object> q) {
        Map<String, Object> context = new TreeMap<>();
        if (q.get("ServerSideEncryption") != null) {
            context.put("s3:x-amz-server-side-encryption", q.get("ServerSideEncryption"));
        }
        if (q.get("SSEKMSKeyId") != null) {
            context.put("s3:x-amz-server-side-encryption-aws-kms-key-id", q.get("SSEKMSKeyId"));
        }
        return context;
    }

    static String kmsKeyOf(Map<String, Object> response) {
        return "aws:kms".equals(response.get("ServerSideEncryption")) || response.get("SSEKMSKeyId") != null
                ? (String) response.get("SSEKMSKeyId") : null;
    }

    static Map<String, Object> encryptionContext(Object context) {
        Map<String, Object> keys = new TreeMap<>();
        if (context instanceof Map<?, ?> map && !map.isEmpty()) {
            map.forEach((k, v) -> keys.put("kms:EncryptionContext:" + k, String.valueOf(v)));
            keys.put("kms:EncryptionContextKeys", map.keySet().stream().map(String::valueOf).sorted().toList());
        }
        keys.put("kms:CallerAccount", Stack.ACCOUNT);
        return keys;
    }
}
