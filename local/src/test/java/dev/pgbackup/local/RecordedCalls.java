package dev.pgbackup.local;

import dev.pgbackup.template.Stack;
import dev.pgbackup.testsupport.CallLog;
import dev.pgbackup.testsupport.CallRecorder;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * A local run whose functions' calls go to the test JVM's {@link CallLog}, as a {@code TestStack}'s do. Local runs
 * name their stack {@code <app>-<environment>}, so two runs of one environment are told apart by a suffix of the
 * record's id (the stack keeps its name: other stacks' parameters may name its roles).
 */
final class RecordedCalls implements LocalRun.Recording {
    static final RecordedCalls INSTANCE = new RecordedCalls();

    private final Map<Stack, String> ids = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    @Override
    public void deployed(Stack stack, Map<String, String> parameters, Map<String, String> physical) {
        String id = stack.name + "#" + java.util.UUID.randomUUID().toString().substring(0, 8);
        ids.put(stack, id);
        CallLog.get().write(Map.of("type", "stack", "stack", id, "name", stack.name, "parameters", parameters,
                "physical", physical));
    }

    @Override
    public List<ExecutionInterceptor> interceptors(Stack stack, String function) {
        return List.of(new CallRecorder(CallLog.get(), ids.get(stack), function));
    }
}
