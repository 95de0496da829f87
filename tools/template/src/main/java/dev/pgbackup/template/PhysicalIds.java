package dev.pgbackup.template;

import static dev.pgbackup.template.Stack.ACCOUNT;
import static dev.pgbackup.template.Stack.REGION;

import java.util.Map;

/**
 * What Ref and Fn::GetAtt of a {@link Stack}'s resources return: names, ARNs and ids as CloudFormation documents
 * them per type, or those made outside the template (moto's keys and topics). Apart from {@link Intrinsics} because
 * these depend on the resources' types and properties, not on the template's functions.
 */
final class PhysicalIds {
    private final Stack stack;
    private final Map<String, String> physicalIds;

    PhysicalIds(Stack stack, Map<String, String> physicalIds) {
        this.stack = stack;
        this.physicalIds = Map.copyOf(physicalIds);
    }

    /** What Ref of a resource returns, per type: a name, an ARN or an id, as CloudFormation documents it. */
    String of(String logicalId) {
        String type = stack.type(logicalId);
        String given = physicalIds.get(logicalId);
        String generated = given != null ? given : named(logicalId, type);
        switch (type) {
            case "AWS::KMS::Key" :
                // Ref is the key id; a key made elsewhere (moto) is known by its ARN
                return generated.substring(generated.lastIndexOf('/') + 1);
            case "AWS::SNS::Topic" :
                return given != null ? given : "arn:aws:sns:" + REGION + ":" + ACCOUNT + ":" + generated;
            case "AWS::IAM::ManagedPolicy" :
                return "arn:aws:iam::" + ACCOUNT + ":policy/" + generated;
            case "AWS::Lambda::Alias" :
                return "arn:aws:lambda:" + REGION + ":" + ACCOUNT + ":function:"
                        + stack.properties(logicalId).get("FunctionName") + ":"
                        + stack.properties(logicalId).get("Name");
            default :
                return generated;
        }
    }

    /** The name a resource has: the one its properties give, else one CloudFormation would make from the stack's. */
    private String named(String logicalId, String type) {
        String property = switch (type) {
            case "AWS::Lambda::Function" -> "FunctionName";
            case "AWS::IAM::Role" -> "RoleName";
            case "AWS::IAM::ManagedPolicy" -> "ManagedPolicyName";
            case "AWS::SNS::Topic" -> "TopicName";
            case "AWS::S3::Bucket" -> "BucketName";
            case "AWS::Logs::LogGroup" -> "LogGroupName";
            default -> null;
        };
        Object value = property == null ? null : stack.properties(logicalId).get(property);
        String fallback = stack.name + "-" + logicalId;
        return value != null ? String.valueOf(value)
                : type.equals("AWS::S3::Bucket") ? fallback.toLowerCase() : fallback;
    }

    /** Fn::GetAtt of a resource: the attributes the template uses, as CloudFormation documents them. */
    String getAtt(String logicalId, String attribute) {
        String type = stack.type(logicalId);
        String key = type + "." + attribute;
        switch (key) {
            case "AWS::IAM::Role.Arn" : {
                Object path = stack.properties(logicalId).getOrDefault("Path", "/");
                return "arn:aws:iam::" + ACCOUNT + ":role" + path + of(logicalId);
            }
            case "AWS::KMS::Key.Arn" : {
                String given = physicalIds.get(logicalId);
                return given != null ? given : "arn:aws:kms:" + REGION + ":" + ACCOUNT + ":key/" + of(logicalId);
            }
            case "AWS::Lambda::Function.Arn" :
                return "arn:aws:lambda:" + REGION + ":" + ACCOUNT + ":function:" + of(logicalId);
            case "AWS::S3::Bucket.Arn" :
                return "arn:aws:s3:::" + of(logicalId);
            case "AWS::SNS::Topic.TopicName" : {
                String arn = of(logicalId);
                return arn.substring(arn.lastIndexOf(':') + 1);
            }
            case "AWS::Logs::LogGroup.Arn" :
                return "arn:aws:logs:" + REGION + ":" + ACCOUNT + ":log-group:" + of(logicalId) + ":*";
            default :
                // an attribute only AWS knows (an API id, a generated endpoint): a stand-in naming it
                return logicalId + "." + attribute;
        }
    }
}
