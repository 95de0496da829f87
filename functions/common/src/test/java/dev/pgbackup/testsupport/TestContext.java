package dev.pgbackup.testsupport;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/** A Lambda context with a real deadline, so workers see their remaining time as in AWS. */
public final class TestContext implements Context {
    private final Instant deadline;
    private final String requestId = UUID.randomUUID().toString();

    public TestContext(Duration timeout) {
        this.deadline = Instant.now().plus(timeout);
    }

    @Override
    public String getAwsRequestId() {
        return requestId;
    }
    @Override
    public String getLogGroupName() {
        return "/aws/lambda/test";
    }
    @Override
    public String getLogStreamName() {
        return "test";
    }
    @Override
    public String getFunctionName() {
        return "test";
    }
    @Override
    public String getFunctionVersion() {
        return "$LATEST";
    }
    @Override
    public String getInvokedFunctionArn() {
        return "arn:aws:lambda:us-east-1:000000000000:function:test";
    }
    @Override
    public CognitoIdentity getIdentity() {
        return null;
    }
    @Override
    public ClientContext getClientContext() {
        return null;
    }
    @Override
    public int getRemainingTimeInMillis() {
        return (int) Math.max(0, Duration.between(Instant.now(), deadline).toMillis());
    }
    @Override
    public int getMemoryLimitInMB() {
        return 1024;
    }
    @Override
    public LambdaLogger getLogger() {
        return new LambdaLogger() {
            @Override
            public void log(String message) {
                System.out.println(message);
            }
            @Override
            public void log(byte[] message) {
                System.out.println(new String(message));
            }
        };
    }
}
