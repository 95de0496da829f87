package dev.pgbackup.common;

/** Starts a worker without waiting for it: in AWS an asynchronous Lambda invoke, locally a thread. */
public interface WorkerLauncher {
    void launch(String functionName, String payloadJson);
}
