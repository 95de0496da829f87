package dev.pgbackup.local.iam;

import dev.pgbackup.template.Stack;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The function behind a recorded call ({@link IamRequests}): its stack, its role's ARN and policies. */
record Caller(Stack stack, Stack.Function function, List<Stack.Policy> policies,
        Map<String, String> parameters) {
    /** A function of a stack, with the role it runs with. */
    static Caller of(Stack stack, String logicalId) {
        Stack.Function fn = stack.functions().stream().filter(f -> f.logicalId().equals(logicalId)).findFirst()
                .orElseThrow(() -> new IllegalStateException(stack.name + " has no function " + logicalId));
        return new Caller(stack, fn, stack.rolePolicies(fn.roleLogicalId()), stack.parameters());
    }

    /** A stack parameter, or {@code fallback} when it is empty (an optional parameter left out). */
    String parameter(String name, String fallback) {
        String value = parameters.get(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    String role() {
        return function.roleArn();
    }

    /** The global condition keys of every request of this function, and the request's own. */
    Map<String, Object> context(Map<String, Object> own) {
        Map<String, Object> context = new TreeMap<>(own);
        context.put("aws:PrincipalArn", role());
        context.put("aws:PrincipalAccount", Stack.ACCOUNT);
        context.put("aws:SecureTransport", "true");
        return context;
    }
}
