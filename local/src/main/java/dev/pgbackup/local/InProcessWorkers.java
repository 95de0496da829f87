package dev.pgbackup.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.WorkerLauncher;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Lambda's asynchronous invoke, in process: the launch returns at once and the worker handler runs on its
 * own thread with a Lambda context whose deadline is the worker's configured timeout (WORKER_TIMEOUT_SECONDS,
 * up to 90 minutes with WORKER_COMPUTE=managed-instances). Each worker has one handler object and a
 * concurrency limit like its function in template.yaml, so several invocations may share the handler as on
 * Lambda Managed Instances; like an asynchronous invoke with retries 0, a failed invocation is logged and not
 * retried.
 */
public final class InProcessWorkers implements WorkerLauncher, AutoCloseable {
    private final Duration timeout;

    private record Worker(Supplier<RequestHandler<Map<String, Object>, Map<String, Object>>> handler,
            ExecutorService pool, AtomicInteger inFlight, AtomicInteger peak,
            List<Map<String, Object>> results) {}

    private final Map<String, Worker> workers = new ConcurrentHashMap<>();

    public InProcessWorkers(Duration timeout) {
        this.timeout = timeout;
    }

    public void register(String functionName, int concurrency,
            Supplier<RequestHandler<Map<String, Object>, Map<String, Object>>> handler) {
        workers.put(functionName, new Worker(handler, Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, functionName);
            t.setDaemon(true);
            return t;
        }), new AtomicInteger(), new AtomicInteger(), new CopyOnWriteArrayList<>()));
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

    private Map<String, Object> invoke(String functionName, Worker worker, Map<String, Object> event) {
        worker.peak().accumulateAndGet(worker.inFlight().incrementAndGet(), Math::max);
        Map<String, Object> result;
        try {
            result = worker.handler().get().handleRequest(event, new LocalContext(functionName, timeout, 2048));
        } catch (RuntimeException | Error e) {
            System.err.println("[local] worker " + functionName + " ended with " + e.getClass().getSimpleName());
            result = Map.of("status", "ERROR");
        } finally {
            worker.inFlight().decrementAndGet();
        }
        worker.results().add(result);
        return result;
    }

    /** The most invocations of {@code functionName} that ran at the same time. */
    int peakInFlight(String functionName) {
        return workers.get(functionName).peak().get();
    }

    /** What the finished invocations of {@code functionName} returned, in the order they ended. */
    List<Map<String, Object>> results(String functionName) {
        return List.copyOf(workers.get(functionName).results());
    }

    private static Map<String, Object> parse(String json) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<Map<String, Object>>() {});
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
