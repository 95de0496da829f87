package dev.pgbackup.restore;

import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.function.Supplier;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;

/**
 * The RDS instance's free storage as CloudWatch reports it (AWS/RDS FreeStorageSpace, the minimum of each minute of
 * the last 15): what the instance had at its fullest lately. A failed read is not a refusal: the job says the space
 * was not checked and why.
 */
public final class CloudWatchFreeStorage implements FreeStorage {
    static final Duration LOOK_BACK = Duration.ofMinutes(15);

    private final Supplier<CloudWatchClient> cloudWatch;
    private final String instance;
    private final Clock clock;

    CloudWatchFreeStorage(Supplier<CloudWatchClient> cloudWatch, String instance, Clock clock) {
        this.cloudWatch = cloudWatch;
        this.instance = instance;
        this.clock = clock;
    }

    /** The check this stack's configuration asks for: CloudWatch with DB_INSTANCE_IDENTIFIER set, else none. */
    public static FreeStorage of(Config config, AwsClients aws, Clock clock) {
        String instance = config.serverSpace().dbInstanceIdentifier();
        if (instance == null || aws == null) {
            return FreeStorage.unchecked("DB_INSTANCE_IDENTIFIER is not set (set DbInstanceIdentifier for an RDS "
                    + "instance; Aurora grows its own storage and is not checked)");
        }
        return new CloudWatchFreeStorage(dev.pgbackup.common.Once.of(() -> aws.build(CloudWatchClient.builder())),
                instance, clock);
    }

    @Override
    public Reading read() {
        Instant end = clock.instant();
        try {
            var points = cloudWatch.get().getMetricStatistics(b -> b.namespace("AWS/RDS").metricName("FreeStorageSpace")
                    .dimensions(d -> d.name("DBInstanceIdentifier").value(instance))
                    .startTime(end.minus(LOOK_BACK)).endTime(end).period(60).statistics(Statistic.MINIMUM))
                    .datapoints();
            return points.stream().max(Comparator.comparing(Datapoint::timestamp))
                    .map(p -> Reading.of(p.minimum().longValue(), "CloudWatch FreeStorageSpace of RDS instance "
                            + instance + " at " + p.timestamp()))
                    .orElse(Reading.unknown("CloudWatch has no FreeStorageSpace of RDS instance " + instance
                            + " in the last " + LOOK_BACK.toMinutes() + " minutes"));
        } catch (RuntimeException e) {
            return Reading.unknown("CloudWatch FreeStorageSpace of RDS instance " + instance + " could not be read ("
                    + e.getClass().getSimpleName() + ")");
        }
    }
}
