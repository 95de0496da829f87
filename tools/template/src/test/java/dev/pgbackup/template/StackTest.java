package dev.pgbackup.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The resolver on a small CloudFormation template: each intrinsic, conditions, parameter checks and rules. */
class StackTest {
    @SuppressWarnings("unchecked")
    static SamTemplate template(String json) throws Exception {
        return SamTemplate.of(new ObjectMapper().readValue(json.replace('\'', '"'), Map.class));
    }

    static final String TEMPLATE = """
            {'Parameters': {
               'Env': {'Type': 'String', 'Default': 'staging', 'AllowedPattern': '[a-z]+'},
               'Sources': {'Type': 'String', 'Default': '*'},
               'Key': {'Type': 'String', 'Default': ''},
               'Subnets': {'Type': 'CommaDelimitedList', 'Default': ''},
               'Mode': {'Type': 'String', 'Default': 'swap', 'AllowedValues': ['swap', 'in-place']},
               'Count': {'Type': 'Number', 'Default': 30}},
             'Mappings': {'Sizes': {'staging': {'Memory': '1024'}, 'prod': {'Memory': '2048'}}},
             'Conditions': {
               'CreateKey': {'Fn::Equals': [{'Ref': 'Key'}, '']},
               'InVpc': {'Fn::Not': [{'Fn::Equals': [{'Fn::Join': ['', {'Ref': 'Subnets'}]}, '']}]},
               'Both': {'Fn::And': [{'Condition': 'CreateKey'}, {'Condition': 'InVpc'}]}},
             'Rules': {'SwapNeedsVpc': {'RuleCondition': {'Fn::Equals': [{'Ref': 'Mode'}, 'in-place']},
               'Assertions': [{'Assert': {'Fn::Not': [{'Fn::EachMemberEquals': [{'Ref': 'Subnets'}, '']}]},
                               'AssertDescription': 'in-place needs subnets'}]}},
             'Resources': {
               'BackupKey': {'Type': 'AWS::KMS::Key', 'Condition': 'CreateKey', 'Properties': {}},
               'Vpc': {'Type': 'AWS::EC2::VPC', 'Condition': 'InVpc', 'Properties': {}},
               'FnRole': {'Type': 'AWS::IAM::Role', 'Properties': {'Path': {'Fn::Sub': '/app-${Env}/'},
                 'Policies': [{'PolicyName': 'p', 'PolicyDocument': {'Statement': [
                   {'Effect': 'Allow', 'Action': 's3:GetObject',
                    'Resource': {'Fn::Sub': ['arn:${AWS::Partition}:s3:::b/${Source}-on-*',
                                 {'Source': {'Fn::Select': [1, {'Fn::Split': [',', {'Fn::Sub': '${Sources},,,'}]}]}}]}},
                   {'Fn::If': ['CreateKey', {'Effect': 'Allow', 'Action': 'kms:Decrypt',
                               'Resource': {'Fn::GetAtt': ['BackupKey', 'Arn']}}, {'Ref': 'AWS::NoValue'}]}]}}],
                 'ManagedPolicyArns': [{'Ref': 'Managed'}, 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']}},
               'Managed': {'Type': 'AWS::IAM::ManagedPolicy', 'Properties': {'PolicyDocument': {'Statement': []}}},
               'Fn': {'Type': 'AWS::Lambda::Function', 'Properties': {'Handler': 'a.B::handleRequest',
                 'Role': {'Fn::GetAtt': ['FnRole', 'Arn']}, 'Timeout': 29,
                 'MemorySize': {'Fn::FindInMap': ['Sizes', {'Ref': 'Env'}, 'Memory']},
                 'Environment': {'Variables': {'ENVIRONMENT': {'Ref': 'Env'}, 'COUNT': {'Ref': 'Count'},
                   'KEY': {'Fn::If': ['CreateKey', {'Fn::GetAtt': ['BackupKey', 'Arn']}, {'Ref': 'Key'}]},
                   'TOOLS': '/opt', 'SELF': {'Fn::Sub': '${AWS::StackName}-${!Literal}'}}}}}},
             'Outputs': {'RoleArn': {'Value': {'Fn::GetAtt': ['FnRole', 'Arn']}},
                         'KeyArn': {'Condition': 'CreateKey', 'Value': {'Fn::GetAtt': ['BackupKey', 'Arn']}}}}
            """;

    @Test
    void resolvesAFunctionsEnvironmentRoleAndPolicies() throws Exception {
        Stack stack = template(TEMPLATE).deploy("s1", Map.of("Env", "prod", "Sources", "prod,staging"), Map.of());
        Stack.Function fn = stack.functions().get(0);
        assertEquals("s1-Fn", fn.name());
        assertEquals("a.B", fn.handlerClass());
        assertEquals(Map.of("ENVIRONMENT", "prod", "COUNT", "30", "KEY",
                "arn:aws:kms:us-east-1:123456789012:key/s1-BackupKey",
                "TOOLS", "/opt", "SELF", "s1-${Literal}"), fn.environment());
        assertEquals("arn:aws:iam::123456789012:role/app-prod/s1-FnRole", fn.roleArn());
        assertEquals(29, fn.timeoutSeconds());
        List<Stack.Policy> policies = stack.rolePolicies("FnRole");
        assertEquals(List.of("p", "Managed"), policies.stream().map(Stack.Policy::name).toList());
        assertEquals("{Statement=[{Effect=Allow, Action=s3:GetObject, Resource=arn:aws:s3:::b/staging-on-*}, "
                + "{Effect=Allow, Action=kms:Decrypt, Resource=arn:aws:kms:us-east-1:123456789012:key/s1-BackupKey}]}",
                policies.get(0).document().toString());
        assertEquals(List.of("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
                stack.awsManagedPolicies("FnRole"));
        assertEquals("arn:aws:iam::123456789012:role/app-prod/s1-FnRole", stack.output("RoleArn").orElseThrow());
    }

    @Test
    void conditionsDecideWhichResourcesAndBranchesExist() throws Exception {
        Stack given = template(TEMPLATE).deploy("s2", Map.of("Key", "arn:aws:kms:us-east-1:123456789012:key/abc",
                "Subnets", "subnet-a,subnet-b"), Map.of());
        assertFalse(given.exists("BackupKey"));
        assertTrue(given.exists("Vpc"));
        assertFalse(given.condition("Both"));
        assertEquals("arn:aws:kms:us-east-1:123456789012:key/abc", given.functions().get(0).environment().get("KEY"));
        assertEquals(1,
                ((List<?>) ((Map<?, ?>) given.rolePolicies("FnRole").get(0).document()).get("Statement")).size());
        assertTrue(given.output("KeyArn").isEmpty());
        assertEquals(List.of("subnet-a", "subnet-b"), given.parameter("Subnets"));
    }

    @Test
    void aResourceMadeElsewhereIsKnownByItsPhysicalId() throws Exception {
        String moto = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c";
        Stack stack = template(TEMPLATE).deploy("s3", Map.of(), Map.of("BackupKey", moto));
        assertEquals(moto, stack.functions().get(0).environment().get("KEY"));
        assertEquals("0f1e2d3c", stack.ref("BackupKey"));
    }

    @Test
    void refusesWhatCloudFormationRefuses() throws Exception {
        SamTemplate t = template(TEMPLATE);
        String pattern = assertThrows(IllegalArgumentException.class,
                () -> t.deploy("x", Map.of("Env", "Prod-1"), Map.of()))
                .getMessage();
        assertTrue(pattern.contains("Env must match [a-z]+: Prod-1"), pattern);
        String allowed = assertThrows(IllegalArgumentException.class,
                () -> t.deploy("x", Map.of("Mode", "fast"), Map.of()))
                .getMessage();
        assertTrue(allowed.contains("Mode must be one of [swap, in-place]: fast"), allowed);
        String number = assertThrows(IllegalArgumentException.class,
                () -> t.deploy("x", Map.of("Count", "many"), Map.of()))
                .getMessage();
        assertTrue(number.contains("Count must be a number"), number);
        String unknown = assertThrows(IllegalArgumentException.class,
                () -> t.deploy("x", Map.of("Nope", "1"), Map.of()))
                .getMessage();
        assertTrue(unknown.contains("no parameter Nope"), unknown);
        String rule = assertThrows(IllegalArgumentException.class,
                () -> t.deploy("x", Map.of("Mode", "in-place"), Map.of()))
                .getMessage();
        assertTrue(rule.contains("rule SwapNeedsVpc: in-place needs subnets"), rule);
    }

    @Test
    void aVariableIsSetFromTheOneParameterItsValueNames() throws Exception {
        SamTemplate t = template(TEMPLATE);
        assertEquals("Env", t.parameterOf("ENVIRONMENT").orElseThrow());
        assertEquals("Key", t.parameterOf("KEY").orElseThrow());
        assertTrue(t.parameterOf("TOOLS").isEmpty());
        assertTrue(t.parameterOf("SELF").isEmpty());
        assertEquals(List.of("ENVIRONMENT", "COUNT", "KEY", "TOOLS", "SELF"), List.copyOf(t.variablesSet().keySet()));
    }

    @Test
    void aJoinWhoseDelimiterIsNotAStringIsRefused() throws Exception {
        SamTemplate t = template("""
                {'Parameters': {'A': {'Type': 'String', 'Default': 'x'}},
                 'Resources': {'R': {'Type': 'AWS::SNS::Topic', 'Properties': {'DisplayName':
                   {'Fn::Join': [{'Fn::Sub': '${A}'}, ['a', 'b']]}}}}}
                """);
        String message = assertThrows(IllegalStateException.class,
                () -> t.deploy("j", Map.of(), Map.of()).properties("R"))
                .getMessage();
        assertTrue(message.contains("Fn::Join delimiter must be a string"), message);
    }
}
