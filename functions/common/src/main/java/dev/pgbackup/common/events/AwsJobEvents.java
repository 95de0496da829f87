package dev.pgbackup.common.events;

import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.config.Notifications;
import dev.pgbackup.common.jobs.JobRecord;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * {@link JobEvents} through EventBridge (PutEvents on the stack's bus) and SNS (Publish to the stack's topic, for
 * failures). The clients have short timeouts and one retry (see {@link AwsClients#eventBridge()}).
 */
public final class AwsJobEvents implements JobEvents {
    private record Sent(String id, String error) {
        static final Sent OFF = new Sent(null, null);
    }

    private final EventBridgeClient events;
    private final SnsClient sns;
    private final Notifications to;
    private final String app;

    AwsJobEvents(EventBridgeClient events, SnsClient sns, Notifications to, String app) {
        this.events = events;
        this.sns = sns;
        this.to = to;
        this.app = app;
    }

    /** The stack's notices as configured: only the clients it needs are built; none at all when both are off. */
    public static JobEvents create(AwsClients clients, Config config) {
        Notifications to = config.notifications();
        if (!to.any()) {
            return JobEvents.OFF;
        }
        return new AwsJobEvents(to.eventBus() == null ? null : clients.eventBridge(),
                to.topicArn() == null ? null : clients.sns(), to, config.appName());
    }

    @Override
    public Delivery publish(JobRecord finished) {
        JobOutcome outcome = JobOutcome.of(app, finished);
        Sent event = events == null ? Sent.OFF : put(finished, outcome);
        Sent mail = sns == null || finished.status() != JobRecord.Status.FAILED ? Sent.OFF : message(finished, outcome);
        return new Delivery(event.id(), event.error(), mail.id(), mail.error());
    }

    private Sent put(JobRecord finished, JobOutcome outcome) {
        try {
            PutEventsResponse response = events.putEvents(r -> r.entries(e -> e.source(JobOutcome.SOURCE)
                    .detailType(JobOutcome.detailType(finished)).detail(Json.write(outcome)).eventBusName(to.eventBus())
                    .time(finished.finishedAt())));
            PutEventsResultEntry entry = response.entries().isEmpty() ? null : response.entries().get(0);
            // PutEvents answers 200 when it refuses an entry: the entry says why
            Integer failed = response.failedEntryCount();
            if (entry == null || entry.errorCode() != null || (failed != null && failed > 0)) {
                return new Sent(null,
                        entry == null || entry.errorCode() == null ? "PutEventsFailed" : entry.errorCode());
            }
            return new Sent(entry.eventId(), null);
        } catch (RuntimeException e) {
            return new Sent(null, code(e));
        }
    }

    private Sent message(JobRecord finished, JobOutcome outcome) {
        String subject = JobOutcome.detailType(finished) + ": " + app + " " + finished.environment();
        try {
            return new Sent(sns.publish(p -> p.topicArn(to.topicArn()).subject(subject.length() > 100
                    ? subject.substring(0, 100) : subject).message(text(subject, outcome))).messageId(), null);
        } catch (RuntimeException e) {
            return new Sent(null, code(e));
        }
    }

    /** The e-mail an operator reads: what failed, why (the caller-safe message), and where the details are. */
    static String text(String subject, JobOutcome o) {
        return subject + "\n\n"
                + "Job:      " + o.jobId() + " (" + o.trigger() + ")\n"
                + "File:     " + o.filename() + "\n"
                + "Finished: " + o.finishedAt() + " after " + o.durationMs() + " ms\n"
                + "Message:  " + o.message() + "\n\n"
                + "Details: GET /api/setting/jobs/" + o.jobId() + " on the " + o.environment()
                + " API, and the worker's "
                + "audit line (CloudWatch Logs Insights: filter audit and jobId = \"" + o.jobId() + "\").\n";
    }

    /** AWS's error code when the service answered (AccessDeniedException, ResourceNotFoundException, ...), else the class. */
    private static String code(RuntimeException e) {
        if (e instanceof AwsServiceException s && s.awsErrorDetails() != null
                && s.awsErrorDetails().errorCode() != null) {
            return s.awsErrorDetails().errorCode();
        }
        return e.getClass().getSimpleName();
    }
}
