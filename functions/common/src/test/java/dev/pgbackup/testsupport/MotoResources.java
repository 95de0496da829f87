package dev.pgbackup.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The resources a stack makes that its functions only name (its KMS key, its alarm topic), made in moto as
 * CloudFormation would make them in AWS, through moto's HTTP API directly: not every module's tests carry the KMS
 * and SNS SDKs (the list functions use neither).
 */
public final class MotoResources {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private MotoResources() {}

    /** A symmetric KMS key in moto; its ARN. */
    public static String createKey(String description) {
        try {
            HttpResponse<String> created = call("kms", HttpRequest.newBuilder(MotoServer.get().endpoint().resolve("/"))
                    .header("Content-Type", "application/x-amz-json-1.1")
                    .header("X-Amz-Target", "TrentService.CreateKey")
                    .POST(HttpRequest.BodyPublishers
                            .ofString(JSON.writeValueAsString(Map.of("Description", description)))));
            JsonNode arn = JSON.readTree(created.body()).path("KeyMetadata").path("Arn");
            if (arn.isMissingNode()) {
                throw new IllegalStateException("moto CreateKey: " + created.body());
            }
            return arn.asText();
        } catch (IOException e) {
            throw new IllegalStateException("moto CreateKey", e);
        }
    }

    /** An SNS topic in moto; its ARN. */
    public static String createTopic(String name) {
        HttpResponse<String> created = call("sns", HttpRequest.newBuilder(MotoServer.get().endpoint().resolve("/"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("Action=CreateTopic&Version=2010-03-31&Name="
                        + URLEncoder.encode(name, StandardCharsets.UTF_8))));
        Matcher arn = Pattern.compile("<TopicArn>([^<]+)</TopicArn>").matcher(created.body());
        if (!arn.find()) {
            throw new IllegalStateException("moto CreateTopic: " + created.body());
        }
        return arn.group(1);
    }

    /** moto tells the services apart by the credential scope of the (unchecked) signature. */
    private static HttpResponse<String> call(String service, HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = HTTP.send(
                    request.header("Authorization", "AWS4-HMAC-SHA256 Credential=test/"
                            + "20260101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=0")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(
                        "moto " + service + ": " + response.statusCode() + " " + response.body());
            }
            return response;
        } catch (IOException e) {
            throw new IllegalStateException("moto " + service, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
