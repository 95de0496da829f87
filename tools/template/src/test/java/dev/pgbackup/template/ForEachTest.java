package dev.pgbackup.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fn::ForEach over a list parameter: one resource per item, list parameters checked per item. */
class ForEachTest {
    static final String TEMPLATE = """
            {'Parameters': {
               'Sources': {'Type': 'CommaDelimitedList', 'Default': '*', 'AllowedPattern': '\\\\*|[a-z_]+'}},
             'Resources': {
               'FnRole': {'Type': 'AWS::IAM::Role', 'Properties': {'Policies': [{'PolicyName': 'own',
                 'PolicyDocument': {'Statement': []}}]}},
               'OtherRole': {'Type': 'AWS::IAM::Role', 'Properties': {}},
               'Fn::ForEach::Reads': ['Source', {'Ref': 'Sources'}, {
                 'Read&{Source}': {'Type': 'AWS::IAM::Policy', 'Properties': {
                   'PolicyName': {'Fn::Join': ['', ['read-', {'Fn::Join': ['any', {'Fn::Split': ['*', {'Fn::Sub': '${Source}'}]}]}]]},
                   'Roles': [{'Ref': 'FnRole'}],
                   'PolicyDocument': {'Statement': [{'Effect': 'Allow', 'Action': 's3:GetObject',
                     'Resource': {'Fn::Sub': 'arn:${AWS::Partition}:s3:::b/${Source}-on-*'}, 'Sid': {'Ref': 'Source'}}]}}}}]}}
            """;

    @Test
    void makesOnePolicyPerItemForTheRolesItNames() throws Exception {
        Stack stack = StackTest.template(TEMPLATE).deploy("s", Map.of("Sources", "production,qa_eu"), Map.of());
        assertEquals(List.of("Readproduction", "Readqaeu"), stack.resourcesOfType("AWS::IAM::Policy"));
        List<Stack.Policy> policies = stack.rolePolicies("FnRole");
        assertEquals(List.of("own", "read-production", "read-qa_eu"),
                policies.stream().map(Stack.Policy::name).toList());
        assertEquals("{Statement=[{Effect=Allow, Action=s3:GetObject, Resource=arn:aws:s3:::b/qa_eu-on-*, Sid=qa_eu}]}",
                policies.get(2).document().toString());
        assertEquals(List.of(), stack.rolePolicies("OtherRole"));
    }

    @Test
    void anyEnvironmentIsOnePolicyNamedAny() throws Exception {
        Stack stack = StackTest.template(TEMPLATE).deploy("s", Map.of(), Map.of());
        assertEquals(List.of("Read"), stack.resourcesOfType("AWS::IAM::Policy"));
        assertEquals("read-any", stack.rolePolicies("FnRole").get(1).name());
    }

    @Test
    void refusesWhatCloudFormationRefuses() throws Exception {
        SamTemplate template = StackTest.template(TEMPLATE);
        // the pattern holds per item: each name passes, a bad one is named
        String bad = assertThrows(IllegalArgumentException.class,
                () -> template.deploy("s", Map.of("Sources", "production,Staging"), Map.of())).getMessage();
        assertTrue(bad.contains("Sources must match"), bad);
        // "a_b" and "ab" both make the logical id Readab
        String twice = assertThrows(IllegalStateException.class,
                () -> template.deploy("s", Map.of("Sources", "a_b,ab"), Map.of())).getMessage();
        assertTrue(twice.contains("makes Readab twice"), twice);
    }
}
