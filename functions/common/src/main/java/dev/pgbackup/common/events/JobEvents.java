package dev.pgbackup.common.events;

import dev.pgbackup.common.Once;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.jobs.JobRecord;
import java.util.function.Supplier;

/**
 * Tells the world how a job ended (an EventBridge event for every outcome, an SNS message for failures). Called
 * after the job's final record is written; it never throws and is bounded in time, so a bus or topic that refuses
 * or hangs can never change a job's outcome: what became of the notices goes into the job's audit line.
 */
public interface JobEvents {
    /** What became of one job's notices: ids of what was sent, error codes of what was refused, null when off. */
    record Delivery(String eventId, String eventsError, String messageId, String notificationError) {
        public static final Delivery NONE = new Delivery(null, null, null, null);

        public void addTo(AuditLog.Entry audit) {
            audit.with("eventId", eventId).with("eventsError", eventsError).with("notificationId", messageId)
                    .with("notificationError", notificationError);
        }
    }

    Delivery publish(JobRecord finished);

    JobEvents OFF = finished -> Delivery.NONE;

    /**
     * Built on first use: only the workers announce jobs, so only they load the EventBridge and SNS clients (the
     * API functions ship without them). A fault in building or publishing becomes an {@code eventsError}.
     */
    static JobEvents lazy(Supplier<JobEvents> build) {
        Supplier<JobEvents> events = Once.of(build);
        return finished -> {
            try {
                return events.get().publish(finished);
            } catch (RuntimeException | LinkageError e) {
                return new Delivery(null, e.getClass().getSimpleName(), null, null);
            }
        };
    }
}
