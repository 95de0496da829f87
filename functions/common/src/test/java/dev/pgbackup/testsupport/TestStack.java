package dev.pgbackup.testsupport;

import com.amazonaws.services.lambda.runtime.Context;
import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.jobs.WorkerLauncher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * One deployed stack as the tests see it: an environment's configuration, its SSM parameters in moto (its own
 * JWT secret, as in production), the shared bucket, and {@link Wiring} built for them, with workers run on
 * threads as Lambda would.
 */
public final class TestStack {
    public static final String APP = "pharmatracker";
    public static final String PASSKEY = "Restore-Passkey-Sup3r-Secret";

    public final String environment;
    public final String bucket;
    public final String database;
    public final Map<String, String> env;
    public final AwsClients clients;
    public final S3Client s3;
    public final ByteArrayOutputStream auditBytes = new ByteArrayOutputStream();
    private final Map<String, BiConsumer<String, Context>> workers = new ConcurrentHashMap<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Future<?>> launched = new CopyOnWriteArrayList<>();
    /** The workers' deadlines run on this: a test moves it instead of waiting. */
    public final MovableTicker ticker = new MovableTicker();
    /** The stack's business time: what it mints tokens with, so they agree with what it checks them against. */
    public final Clock clock;
    public final Wiring wiring;

    private TestStack(String environment, String bucket, String database, Map<String, String> overrides, Clock clock,
                      java.net.URI endpoint) {
        this.environment = environment;
        this.bucket = bucket;
        this.database = database;
        this.clock = clock;
        this.clients = new AwsClients(Optional.of(endpoint), true);
        this.s3 = clients.s3();
        this.env = Map.copyOf(environment(environment, bucket, overrides));
        this.wiring = Wiring.forAws(Config.from(this.env), clients, clock, ticker,
                new AuditLog(new PrintStream(auditBytes, true, StandardCharsets.UTF_8)), () -> this::launch);
    }

    /** The function environment template.yaml would give a stack of {@code environment}. */
    public static Map<String, String> environment(String environment, String bucket, Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>();
        env.put("APP_NAME", APP);
        env.put("ENVIRONMENT", environment);
        env.put("BUCKET_NAME", bucket);
        env.put("DB_URL_PARAMETER", "/" + APP + "/" + environment + "/db-url");
        env.put("JWT_SECRET_PARAMETER", "/" + APP + "/" + environment + "/jwt-secret");
        env.put("RESTORE_PASSKEY_PARAMETER", "/" + APP + "/" + environment + "/restore-passkey");
        env.put("BACKUP_WORKER_FUNCTION", "backup-worker-" + environment);
        env.put("RESTORE_WORKER_FUNCTION", "restore-worker-" + environment);
        env.put("PG_TOOLS_DIR", RepoPaths.pgToolsDir().toString());
        env.put("WAIT_BUDGET_SECONDS", "30");
        env.putAll(overrides);
        return env;
    }

    /** Each environment signs its tokens with its own secret, as production and staging do. */
    public static String jwtSecret(String environment) {
        return "jwt-secret-of-" + environment + "-for-tests-0123456789abcdef";
    }

    public static TestStack create(String environment, String bucket, String database, Map<String, String> overrides) {
        return create(environment, bucket, database, overrides, Clock.systemUTC());
    }

    public static TestStack create(String environment, String bucket, String database, Map<String, String> overrides,
                                   Clock clock) {
        return create(environment, bucket, database, overrides, clock, MotoServer.get().endpoint());
    }

    /** A stack whose AWS calls go to {@code endpoint} (a {@link FaultProxy} in front of moto, say). */
    public static TestStack create(String environment, String bucket, String database, Map<String, String> overrides,
                                   Clock clock, java.net.URI endpoint) {
        TestStack stack = new TestStack(environment, bucket, database, overrides, clock, endpoint);
        stack.putParameters(TestPostgres.get().url(database));
        return stack;
    }

    public static void createBucket(String bucket) {
        try (S3Client s3 = new AwsClients(Optional.of(MotoServer.get().endpoint()), true).s3()) {
            s3.createBucket(b -> b.bucket(bucket));
        }
    }

    public void putParameters(String dbUrl) {
        try (SsmClient ssm = new AwsClients(Optional.of(MotoServer.get().endpoint()), true).ssm()) {
            if (!env.get("DB_URL_PARAMETER").isBlank()) { // blank: the stack reads a Secrets Manager secret
                put(ssm, env.get("DB_URL_PARAMETER"), dbUrl);
            }
            put(ssm, env.get("JWT_SECRET_PARAMETER"), jwtSecret(environment));
            put(ssm, env.get("RESTORE_PASSKEY_PARAMETER"), PASSKEY);
        }
    }

    private static void put(SsmClient ssm, String name, String value) {
        ssm.putParameter(b -> b.name(name).value(value).type(ParameterType.SECURE_STRING).overwrite(true));
    }

    /** Registers what runs when the API launches {@code functionName} (the worker handler). */
    public void worker(String functionName, BiConsumer<String, Context> handler) {
        workers.put(functionName, handler);
    }

    private void launch(String functionName, String payload) {
        BiConsumer<String, Context> handler = workers.get(functionName);
        if (handler == null) {
            throw new WorkerLauncher.NotLaunched("no worker registered for " + functionName);
        }
        launched.add(pool.submit(() -> handler.accept(payload, new TestContext(Duration.ofMinutes(15)))));
    }

    /**
     * Waits until every worker the API launched has returned. The API answers as soon as the job record
     * says SUCCEEDED; the worker still releases its lock after that, so assertions about what a finished
     * job leaves behind wait here first.
     */
    public void awaitWorkers() {
        for (Future<?> worker : launched) {
            try {
                worker.get(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException | TimeoutException e) {
                throw new AssertionError("a worker did not finish cleanly", e);
            }
        }
    }

    public String audit() {
        return auditBytes.toString(StandardCharsets.UTF_8);
    }

    /** A token this stack accepts: its own secret, a subject, the roles, one hour to live on the stack's clock. */
    public String token(String subject, String... roles) {
        return tokenFor(environment, clock, subject, roles);
    }

    /**
     * A token signed with {@code environment}'s secret, issued now on {@code clock}: always the clock of the stack
     * that will check it (never the machine's while the stack runs on a fixed one), so the test means the same on
     * any date.
     */
    public static String tokenFor(String environment, Clock clock, String subject, String... roles) {
        Instant now = clock.instant();
        return JWT.create().withSubject(subject).withArrayClaim("roles", roles).withIssuedAt(now)
                .withExpiresAt(now.plus(Duration.ofHours(1)))
                .sign(Algorithm.HMAC256(jwtSecret(environment)));
    }

    public static Map<String, String> bearer(String token) {
        return Map.of("authorization", "Bearer " + token);
    }
}
