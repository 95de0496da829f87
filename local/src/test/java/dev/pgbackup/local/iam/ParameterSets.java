package dev.pgbackup.local.iam;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The kind of deployment a stack's parameters make, as far as IAM is concerned: what changes the policies or the
 * calls (the key, client-side encryption, readers of the key, where the credentials live, drills' server, the
 * compute, the notices, the accepted sources). Every other parameter (names, counts, modes) is left out.
 */
final class ParameterSets {
    private ParameterSets() {}

    static String label(Map<String, String> given) {
        List<String> features = new ArrayList<>();
        if (!given.getOrDefault("BackupKmsKeyArn", "").isEmpty()) {
            features.add("given key");
        }
        if ("true".equals(given.get("ClientSideEncryption"))) {
            features.add("client-side encryption");
        }
        if (!given.getOrDefault("BackupKeyReaderRoleArns", "").isEmpty()) {
            features.add("another stack as key reader");
        }
        if (!given.getOrDefault("BucketKmsKeyArn", "").isEmpty()) {
            features.add("bucket key");
        }
        if (!given.getOrDefault("SsmKmsKeyArn", "").isEmpty()) {
            features.add("SecureStrings key");
        }
        if (!given.getOrDefault("DbSecretArn", "").isEmpty()) {
            features.add("Secrets Manager");
        }
        if ("true".equals(given.get("DbIamAuth"))) {
            features.add("IAM database auth");
        }
        if (!given.getOrDefault("DrillDatabaseUrlParameterName", "").isEmpty()) {
            features.add("drill server");
        }
        if ("true".equals(given.get("DrillEnabled"))) {
            features.add("drills on");
        }
        if (!given.getOrDefault("DbInstanceIdentifier", "").isEmpty()) {
            features.add("DB instance space check");
        }
        if ("managed-instances".equals(given.get("WorkerCompute"))) {
            features.add("Managed Instances");
        }
        if (given.containsKey("EventBusName") || given.containsKey("NotificationTopicArn")) {
            features.add("notifications");
        }
        if (!given.getOrDefault("RestoreSourceEnvironments", "*").equals("*")) {
            features.add("restricted sources");
        }
        return features.isEmpty() ? "standard" : String.join(" + ", features);
    }
}
