package dev.pgbackup.common.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where the workers announce how each job ended: one EventBridge event per job on {@code eventBus}, and a message
 * for every failed job on the SNS topic {@code topicArn}. Either is null when off.
 */
public record Notifications(String eventBus, String topicArn) {
    private static final Pattern BUS = Pattern.compile("[A-Za-z0-9._-]{1,256}");
    /** A standard topic of any partition; FIFO topics would need a message group, so they are refused. */
    private static final Pattern TOPIC = Pattern
            .compile("arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}");

    static final Notifications OFF = new Notifications(null, null);

    /** Reads EVENT_BUS_NAME and NOTIFICATION_TOPIC_ARN (unset or empty: off), adding what is wrong to {@code problems}. */
    static Notifications read(Map<String, String> env, List<String> problems) {
        String bus = Variable.EVENT_BUS_NAME.in(env);
        if (bus != null && !BUS.matcher(bus).matches()) {
            problems.add("Environment variable EVENT_BUS_NAME must be an event bus name (1-256 letters, digits, '.', "
                    + "'_' or '-'), or empty for no events: " + bus);
            bus = null;
        }
        String topic = Variable.NOTIFICATION_TOPIC_ARN.in(env);
        if (topic != null && !TOPIC.matcher(topic).matches()) {
            problems.add("Environment variable NOTIFICATION_TOPIC_ARN must be the ARN of a standard SNS topic "
                    + "(arn:aws:sns:<region>:<account>:<name>), or empty for no messages: " + topic);
            topic = null;
        }
        return new Notifications(bus, topic);
    }

    public boolean any() {
        return eventBus != null || topicArn != null;
    }
}
