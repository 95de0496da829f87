package dev.pgbackup.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.WorkerLauncher;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Lambda's asynchronous invoke, in process: the launch returns at once and the worker handler runs on its
 * own thread with a Lambda context whose deadline is the worker's timeout (15 minutes). Each worker has a
 * concurrency limit like its reserved concurrency in template.yaml (the restore worker: 1); like an
 * asynchronous invoke with retries 0, a failed invocation is logged and not retried.
 */
final class InProcessWorkers implements WorkerLauncher, AutoCloseable {
    static final Duration WORKER_TIMEOUT = Duration.ofMinutes(15);

    private record Worker(Supplier<RequestHandler<Map<String, Object>, Map<String, Object>>> handler,
                          ExecutorService pool) {
    }

    private final Map<String, Worker> workers = new ConcurrentHashMap<>();

    void register(String functionName, int concurrency,
                  Supplier<RequestHandler<Map<String, Object>, Map<String, Object>>> handler) {
        workers.put(functionName, new Worker(handler, Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, functionName);
            t.setDaemon(true);
            return t;
        })));
    }

    @Override
    public void launch(String functionName, String payloadJson) {
        Worker worker = workers.get(functionName);
        if (worker == null) {
            throw new NotLaunched("Function not found: " + functionName);
        }
        Map<String, Object> event = parse(payloadJson);
        worker.pool().submit(() -> invoke(functionName, worker, event));
    }

    private static Map<String, Object> invoke(String functionName, Worker worker, Map<String, Object> event) {
        try {
            return worker.handler().get().handleRequest(event, new LocalContext(functionName, WORKER_TIMEOUT, 2048));
        } catch (RuntimeException | Error e) {
            System.err.println("[local] worker " + functionName + " ended with " + e.getClass().getSimpleName());
            return Map.of("status", "ERROR");
        }
    }

    private static Map<String, Object> parse(String json) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<Map<String, Object>>() { });
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("worker payload is not a JSON object", e);
        }
    }

    @Override
    public void close() {
        workers.values().forEach(w -> w.pool().shutdownNow());
        for (Worker w : workers.values()) {
            try {
                w.pool().awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
