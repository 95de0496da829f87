package dev.pgbackup.common;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;

/** Asynchronous ("Event") invoke: Lambda queues the job and answers 202 at once. */
public final class LambdaWorkerLauncher implements WorkerLauncher {
    private final LambdaClient lambda;

    public LambdaWorkerLauncher(LambdaClient lambda) {
        this.lambda = lambda;
    }

    @Override
    public void launch(String functionName, String payloadJson) {
        int status = lambda.invoke(b -> b.functionName(functionName)
                .invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String(payloadJson))).statusCode();
        if (status != 202) {
            throw new IllegalStateException("Lambda did not accept the job (status " + status + ")");
        }
    }
}
