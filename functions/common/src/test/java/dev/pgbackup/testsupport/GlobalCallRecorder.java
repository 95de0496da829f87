package dev.pgbackup.testsupport;

import java.nio.file.Path;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * A {@link CallRecorder} for a function run in its own process (under the Lambda runtime emulator), where the SDK
 * loads it for every client from {@code software/amazon/awssdk/global/handlers/execution.interceptors} on a
 * classpath only the tests give that process. Which log, stack and function it records for come from
 * {@code PGBACKUP_CALLS_FILE}, {@code PGBACKUP_CALLS_STACK} and {@code PGBACKUP_CALLS_FUNCTION}; unset, it records
 * nothing. No function reads these: they are the test's, like the classpath entry.
 */
public final class GlobalCallRecorder implements ExecutionInterceptor {
    /** The classpath resource through which the SDK finds global interceptors. */
    public static final String REGISTRATION = "software/amazon/awssdk/global/handlers/execution.interceptors";

    /** One log per process: the SDK makes a new instance of this class for every client it builds. */
    private static final CallRecorder DELEGATE = System.getenv("PGBACKUP_CALLS_FILE") == null ? null
            : new CallRecorder(CallLog.at(Path.of(System.getenv("PGBACKUP_CALLS_FILE"))),
                    System.getenv("PGBACKUP_CALLS_STACK"), System.getenv("PGBACKUP_CALLS_FUNCTION"));

    private final CallRecorder delegate = DELEGATE;

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        if (delegate != null) {
            delegate.afterExecution(context, attributes);
        }
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        if (delegate != null) {
            delegate.onExecutionFailure(context, attributes);
        }
    }
}
