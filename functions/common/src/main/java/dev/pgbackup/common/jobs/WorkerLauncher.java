package dev.pgbackup.common.jobs;

/** Starts a worker without waiting for it: in AWS an asynchronous Lambda invoke, locally a thread. */
public interface WorkerLauncher {
    /**
     * The worker was certainly not started (the invoke was refused): nothing will run. Any other exception
     * from {@link #launch} means the outcome is unknown (a timeout after Lambda may have accepted the event).
     */
    final class NotLaunched extends RuntimeException {
        public NotLaunched(String message) {
            super(message);
        }
    }

    void launch(String functionName, String payloadJson);
}
