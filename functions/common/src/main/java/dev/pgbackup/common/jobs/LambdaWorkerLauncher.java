package dev.pgbackup.common.jobs;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.LambdaException;

/** Asynchronous ("Event") invoke: Lambda queues the job and answers 202 at once. */
public final class LambdaWorkerLauncher implements WorkerLauncher {
    private final LambdaClient lambda;

    public LambdaWorkerLauncher(LambdaClient lambda) {
        this.lambda = lambda;
    }

    @Override
    public void launch(String functionName, String payloadJson) {
        int status;
        try {
            status = lambda.invoke(b -> b.functionName(functionName)
                    .invocationType(InvocationType.EVENT)
                    .payload(SdkBytes.fromUtf8String(payloadJson))).statusCode();
        } catch (LambdaException e) {
            // 4xx (not found, not allowed, throttled): Lambda refused the event, so no worker will run.
            // 5xx and client-side errors (timeouts) propagate: Lambda may have queued it after all.
            if (e.statusCode() >= 400 && e.statusCode() < 500) {
                throw new NotLaunched("Lambda refused the invoke (" + e.statusCode() + " "
                        + e.awsErrorDetails().errorCode() + ")");
            }
            throw e;
        }
        if (status != 202) {
            throw new NotLaunched("Lambda did not accept the job (status " + status + ")");
        }
    }
}
