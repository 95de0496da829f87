package dev.pgbackup.local.iam;

import dev.pgbackup.template.Stack;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The function behind a recorded call ({@link IamRequests}): its stack, its role's ARN and policies. */
record Caller(Stack stack, Stack.Function function, List<Stack.Policy> policies,
              Map<String, String> parameters) {
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
