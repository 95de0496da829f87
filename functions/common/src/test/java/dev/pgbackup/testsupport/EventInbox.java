package dev.pgbackup.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * What a stack's notices reach, in moto: a new event bus whose rule sends every {@code pgbackup} event to a queue,
 * and a new SNS topic with a queue subscribed, so a test reads exactly what an operator's rule or e-mail would get.
 * moto delivers while the publishing call runs, so the queues hold everything once the worker has returned.
 */
public final class EventInbox {
    public final String bus;
    public final String topicArn;
    private final String eventQueue;
    private final String messageQueue;

    private EventInbox(String bus, String topicArn, String eventQueue, String messageQueue) {
        this.bus = bus;
        this.topicArn = topicArn;
        this.eventQueue = eventQueue;
        this.messageQueue = messageQueue;
    }

    public static EventInbox create() {
        String id = UUID.randomUUID().toString().substring(0, 8);
        AwsClients clients = new AwsClients(Optional.of(MotoServer.get().endpoint()), true);
        try (EventBridgeClient events = clients.eventBridge();
                SnsClient sns = clients.sns();
                SqsClient sqs = sqs()) {
            String eventQueue = sqs.createQueue(q -> q.queueName("events-" + id)).queueUrl();
            String messageQueue = sqs.createQueue(q -> q.queueName("messages-" + id)).queueUrl();
            String bus = "pgbackup-" + id;
            events.createEventBus(b -> b.name(bus));
            events.putRule(r -> r.name("all-jobs").eventBusName(bus).eventPattern("{\"source\":[\"pgbackup\"]}"));
            events.putTargets(
                    t -> t.rule("all-jobs").eventBusName(bus).targets(x -> x.id("queue").arn(arn(sqs, eventQueue))));
            String topic = sns.createTopic(t -> t.name("failures-" + id)).topicArn();
            sns.subscribe(s -> s.topicArn(topic).protocol("sqs").endpoint(arn(sqs, messageQueue)));
            return new EventInbox(bus, topic, eventQueue, messageQueue);
        }
    }

    /** The variables template.yaml sets for this bus and topic. */
    public Map<String, String> env() {
        return Map.of("EVENT_BUS_NAME", bus, "NOTIFICATION_TOPIC_ARN", topicArn);
    }

    /** The EventBridge events delivered since the last call (envelopes: source, detail-type, detail, ...). */
    public List<JsonNode> events() {
        return drain(eventQueue);
    }

    /** The SNS notifications delivered since the last call (envelopes: Subject, Message, ...). */
    public List<JsonNode> messages() {
        return drain(messageQueue);
    }

    private static List<JsonNode> drain(String queue) {
        List<JsonNode> all = new ArrayList<>();
        try (SqsClient sqs = sqs()) {
            while (true) {
                List<Message> batch = sqs
                        .receiveMessage(r -> r.queueUrl(queue).maxNumberOfMessages(10).waitTimeSeconds(0))
                        .messages();
                if (batch.isEmpty()) {
                    return all;
                }
                for (Message m : batch) {
                    all.add(Json.MAPPER.readTree(m.body()));
                    sqs.deleteMessage(d -> d.queueUrl(queue).receiptHandle(m.receiptHandle()));
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SqsClient sqs() {
        return SqsClient.builder().endpointOverride(MotoServer.get().endpoint())
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build();
    }

    private static String arn(SqsClient sqs, String queue) {
        return sqs.getQueueAttributes(a -> a.queueUrl(queue).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
    }
}
