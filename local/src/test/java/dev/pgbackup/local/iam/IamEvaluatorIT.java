package dev.pgbackup.local.iam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.local.iam.IamRequests.Request;
import dev.pgbackup.local.iam.IamSimulator.Result;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.template.Stack;
import dev.pgbackup.testsupport.RepoPaths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The evaluator itself: iam-simulate 0.1.173 drops condition keys of the form kms:EncryptionContext:<key> (it
 * matches variable keys only after a '/'), a false deny. Shown as published, then through evaluate.mjs's stand-in
 * keys: the backup worker's client-side statement allows a data key of its own environment's context and denies one
 * of production's, with nothing ignored.
 */
class IamEvaluatorIT {
    @Test
    void encryptionContextConditionsAreEvaluatedNotDropped() {
        Stack staging = SamTemplate.load(RepoPaths.root()).deploy("pharmatracker-staging", Map.of("EnvironmentName",
                "staging", "BucketName", "b", "DbUrlParameterName", "/d", "JwtSecretParameterName", "/j",
                "RestorePasskeyParameterName", "/p"), Map.of());
        String key = staging.attribute("BackupKey", "Arn");
        Map<String, Object> keyPolicy = KeyPolicies.keyPolicy(staging);
        Request own = dataKey(staging, key, keyPolicy, "staging");
        Request other = dataKey(staging, key, keyPolicy, "production");

        Result published = IamSimulator.evaluate(List.of(own), true).get(own);
        assertEquals("ImplicitlyDenied", published.result(), "iam-simulate as published: a false deny");
        assertTrue(published.ignoredContextKeys().contains("kms:EncryptionContext:environment"), published.toString());

        Map<Request, Result> fixed = IamSimulator.evaluate(List.of(own, other));
        assertEquals("Allowed", fixed.get(own).result(), fixed.get(own).toString());
        assertEquals(List.of(), fixed.get(own).ignoredContextKeys());
        assertEquals("ImplicitlyDenied", fixed.get(other).result(), fixed.get(other).toString());
        assertEquals(List.of(), fixed.get(other).ignoredContextKeys());
        assertTrue(fixed.get(other).nearMisses().toString().contains("kms:EncryptionContext:environment"),
                fixed.get(other).nearMisses().toString());
    }

    /** The backup worker asking KMS for a data key under an encryption context naming {@code environment}. */
    private static Request dataKey(Stack stack, String key, Map<String, Object> keyPolicy, String environment) {
        return IamRequests.request(stack, "BackupWorkerFunction", "kms:GenerateDataKey", key, Map.of(
                "kms:EncryptionContext:app", "pharmatracker", "kms:EncryptionContext:environment", environment,
                "kms:EncryptionContext:filename",
                "pharmatracker-" + environment + "-on-2026-11-28-at-02-00-00-AM-IST.dump",
                "kms:EncryptionContextKeys", List.of("app", "aws-crypto-public-key", "environment", "filename"),
                "kms:CallerAccount", Stack.ACCOUNT), keyPolicy, "key policy",
                "staging's worker, " + environment
                        + "'s context");
    }
}
