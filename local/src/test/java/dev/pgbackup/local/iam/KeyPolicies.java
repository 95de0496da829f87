package dev.pgbackup.local.iam;

import dev.pgbackup.template.Stack;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The key policy KMS applies to each key a call reaches: a stack's own key (BackupKey) has the policy the template
 * gives it; the AWS managed keys of SSM and Secrets Manager have the policy AWS gives them (any principal of the
 * account, through that service); any other key (one given to a stack as a parameter) is taken to have KMS's
 * default key policy, under which the account's IAM policies decide.
 */
final class KeyPolicies {
    static final String ACCOUNT = Stack.ACCOUNT;
    /** Stand-ins for the AWS managed keys aws/ssm and aws/secretsmanager (their ids differ per account). */
    static final String AWS_SSM_KEY = "arn:aws:kms:" + Stack.REGION + ":" + ACCOUNT + ":key/aws-managed-ssm";
    static final String AWS_SECRETSMANAGER_KEY = "arn:aws:kms:" + Stack.REGION + ":" + ACCOUNT
            + ":key/aws-managed-secretsmanager";

    private final Map<String, Map<String, Object>> policies = new HashMap<>();
    private final Map<String, String> owners = new HashMap<>();

    KeyPolicies(Iterable<Stack> stacks) {
        for (Stack stack : stacks) {
            if (stack.exists("BackupKey")) {
                add(stack.attribute("BackupKey", "Arn"), stack.name + "'s BackupKey", keyPolicy(stack));
            }
        }
        add(AWS_SSM_KEY, "aws/ssm", awsManaged("ssm"));
        add(AWS_SECRETSMANAGER_KEY, "aws/secretsmanager", awsManaged("secretsmanager"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> keyPolicy(Stack stack) {
        return (Map<String, Object>) stack.properties("BackupKey").get("KeyPolicy");
    }

    private void add(String arn, String owner, Map<String, Object> policy) {
        policies.put(arn, policy);
        owners.put(arn, owner);
    }

    Map<String, Object> of(String keyArn) {
        return policies.getOrDefault(keyArn, DEFAULT);
    }

    /** Whose key it is, for messages. */
    String owner(String keyArn) {
        return owners.getOrDefault(keyArn, "a key given as a parameter (default key policy)");
    }

    /** KMS's default key policy: the account administers the key and its IAM policies grant it. */
    static final Map<String, Object> DEFAULT = Map.of("Version", "2012-10-17", "Statement", List.of(Map.of(
            "Sid", "Enable IAM User Permissions", "Effect", "Allow",
            "Principal", Map.of("AWS", "arn:aws:iam::" + ACCOUNT + ":root"), "Action", "kms:*", "Resource", "*")));

    /** The policy AWS gives its managed key of a service (as the KMS console shows it). */
    private static Map<String, Object> awsManaged(String service) {
        return Map.of("Version", "2012-10-17", "Statement", List.of(
                Map.of("Sid",
                        "Allow access through " + service + " for all principals in the account that are authorized",
                        "Effect", "Allow", "Principal", Map.of("AWS", "*"),
                        "Action", List.of("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                "kms:CreateGrant", "kms:DescribeKey"),
                        "Resource", "*",
                        "Condition", Map.of("StringEquals", Map.of("kms:CallerAccount", ACCOUNT,
                                "kms:ViaService", service + "." + Stack.REGION + ".amazonaws.com"))),
                Map.of("Sid", "Allow direct access to key metadata to the account", "Effect", "Allow",
                        "Principal", Map.of("AWS", "arn:aws:iam::" + ACCOUNT + ":root"),
                        "Action", List.of("kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"),
                        "Resource", "*")));
    }
}
