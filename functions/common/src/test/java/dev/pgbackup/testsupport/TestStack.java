package dev.pgbackup.testsupport;

import com.amazonaws.services.lambda.runtime.Context;
import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.jobs.WorkerLauncher;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.template.Stack;
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
import java.util.UUID;
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
 * One deployed stack as the tests see it: template.yaml resolved for the stack's parameters, the resources it makes
 * (its KMS key, its alarm topic) made in moto, its SSM parameters (its own JWT secret, as in production), the shared
 * bucket, and each function with the environment the template gives it and clients that record every call it makes
 * ({@link CallRecorder}: IamEvaluationIT judges them against the role the template gives that function). Workers run
 * on threads as Lambda would run them.
 *
 * <p>A test configures a stack as a user deploys one: with parameters of template.yaml ({@code RetentionCount}), or
 * with the variable a parameter sets ({@code RETENTION_COUNT}: translated to its parameter through the template, so
 * a variable no parameter sets is refused). {@code PG_TOOLS_DIR} alone is no parameter: it moves the layer's mount
 * point (/opt in Lambda) to the built layer or a test's fake tools.
 */
public final class TestStack {
    public static final String APP = "pharmatracker";
    public static final String PASSKEY = "Restore-Passkey-Sup3r-Secret";
    private static final String LAYER_MOUNT = "/opt";

    public final String environment;
    public final String bucket;
    public final String database;
    /** Every function's variables together (each name has one value in a stack, whichever function it is set on). */
    public final Map<String, String> env;
    /** template.yaml as this stack deployed it. */
    public final Stack template;
    /** The test's own clients: what they do is not any function's and is not recorded. */
    public final AwsClients clients;
    public final S3Client s3;
    public final ByteArrayOutputStream auditBytes = new ByteArrayOutputStream();
    private final Map<String, BiConsumer<String, Context>> workers = new ConcurrentHashMap<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Future<?>> launched = new CopyOnWriteArrayList<>();
    private final Map<String, Wiring> functions = new ConcurrentHashMap<>();
    private final java.net.URI endpoint;
    private final String tools;
    /** The workers' deadlines run on this: a test moves it instead of waiting. */
    public final MovableTicker ticker = new MovableTicker();
    /** The stack's business time: what it mints tokens with, so they agree with what it checks them against. */
    public final Clock clock;
    /** The test's view of the stack's state (its own clients, not recorded): to arrange and inspect, never a function. */
    public final Wiring wiring;

    private TestStack(String environment, String bucket, String database, Map<String, String> overrides, Clock clock,
            java.net.URI endpoint) {
        this.environment = environment;
        this.bucket = bucket;
        this.database = database;
        this.clock = clock;
        this.endpoint = endpoint;
        this.clients = new AwsClients(Optional.of(endpoint), true);
        this.s3 = clients.s3();
        Map<String, String> parameters = parameters(environment, bucket, overrides);
        this.tools = overrides.getOrDefault("PG_TOOLS_DIR", RepoPaths.pgToolsDir().toString());
        String name = APP + "-" + environment + "-" + UUID.randomUUID().toString().substring(0, 6);
        Map<String, String> physical = new HashMap<>();
        if (parameters.getOrDefault("BackupKmsKeyArn", "").isEmpty()) {
            physical.put("BackupKey", MotoResources.createKey("BackupKey of " + name));
        }
        physical.put("AlarmTopic", MotoResources.createTopic(name + "-AlarmTopic"));
        this.template = template().deploy(name, parameters, physical);
        CallLog.get().write(Map.of("type", "stack", "stack", name, "name", name, "parameters", parameters,
                "physical", physical));
        Map<String, String> all = new HashMap<>();
        template.functions().forEach(f -> all.putAll(environmentOf(f)));
        this.env = Map.copyOf(all);
        this.wiring = Wiring.forAws(Config.from(this.env), clients, clock, ticker,
                new AuditLog(new PrintStream(auditBytes, true, StandardCharsets.UTF_8)), () -> this::launch);
    }

    private static SamTemplate template() {
        return SamTemplate.load(RepoPaths.root());
    }

    /** The parameters a test stack of {@code environment} is deployed with, and the test's own on top. */
    static Map<String, String> parameters(String environment, String bucket, Map<String, String> overrides) {
        Map<String, String> parameters = new HashMap<>();
        parameters.put("AppName", APP);
        parameters.put("EnvironmentName", environment);
        parameters.put("BucketName", bucket);
        parameters.put("DbUrlParameterName", "/" + APP + "/" + environment + "/db-url");
        parameters.put("JwtSecretParameterName", "/" + APP + "/" + environment + "/jwt-secret");
        parameters.put("RestorePasskeyParameterName", "/" + APP + "/" + environment + "/restore-passkey");
        // the longest a deploy allows: the tests' jobs end well within it, so answers are the synchronous 200
        parameters.put("WaitBudgetSeconds", "25");
        overrides.forEach((key, value) -> {
            if (key.equals("PG_TOOLS_DIR")) {
                return;
            }
            String parameter = template().parameterNames().contains(key) ? key : template().parameterOf(key)
                    .orElseThrow(() -> new IllegalArgumentException(key + " is set by no parameter of template.yaml: "
                            + "a test stack can only be configured as a deployed one"));
            parameters.put(parameter, value);
        });
        return parameters;
    }

    /** A function's variables as the template sets them, the layer where this test has it. */
    public Map<String, String> environmentOf(Stack.Function function) {
        Map<String, String> variables = new HashMap<>(function.environment());
        if (LAYER_MOUNT.equals(variables.get("PG_TOOLS_DIR"))) {
            variables.put("PG_TOOLS_DIR", tools);
        }
        return variables;
    }

    /**
     * The wiring of the function whose handler is {@code handler}: its own environment and its own clients, which
     * record every call as that function's.
     */
    public Wiring wiringOf(Class<?> handler) {
        Stack.Function function = template.function(handler.getName());
        return functions.computeIfAbsent(function.logicalId(), id -> Wiring.forAws(Config.from(environmentOf(function)),
                new AwsClients(Optional.of(endpoint), true,
                        List.of(new CallRecorder(CallLog.get(), template.name, id))),
                clock, ticker, wiring.audit, () -> this::launch));
    }

    /** A handler as Lambda runs it in this stack: its (Wiring) constructor with {@link #wiringOf} its function. */
    public <H> H handler(Class<H> type) {
        try {
            return type.getConstructor(Wiring.class).newInstance(wiringOf(type));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make " + type.getName() + " from a Wiring", e);
        }
    }

    /** The keys under {@code prefix} in this stack's bucket, listed with the test's own (unrecorded) client. */
    public List<String> keys(String prefix) {
        return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(software.amazon.awssdk.services.s3.model.S3Object::key).toList();
    }

    /** Every object under {@code prefix} as text, one after another: where a test looks for what must not be written. */
    public String raw(String prefix) {
        StringBuilder all = new StringBuilder();
        for (String key : keys(prefix)) {
            all.append(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String());
        }
        return all.toString();
    }

    /** An output of the stack (RestoreWorkerRoleArn, ...), as CloudFormation would show it. */
    public String output(String name) {
        return template.output(name).orElseThrow(() -> new IllegalStateException("stack " + template.name
                + " has no output " + name));
    }

    /**
     * This stack's restore roles (its outputs RestoreWorkerRoleArn and RestoreApiRoleArn): what another environment
     * names in its BackupKeyReaderRoleArns to let this one restore its backups, as docs/deploy.md orders it.
     */
    public String restoreRoles() {
        return output("RestoreWorkerRoleArn") + "," + output("RestoreApiRoleArn");
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

    /** The SecureStrings, under the stack's SsmKmsKeyArn when it names one (else SSM's own key). */
    public void putParameters(String dbUrl) {
        String key = template.parameters().get("SsmKmsKeyArn");
        try (SsmClient ssm = new AwsClients(Optional.of(MotoServer.get().endpoint()), true).ssm()) {
            if (!env.get("DB_URL_PARAMETER").isBlank()) { // blank: the stack reads a Secrets Manager secret
                put(ssm, env.get("DB_URL_PARAMETER"), dbUrl, key);
            }
            put(ssm, env.get("JWT_SECRET_PARAMETER"), jwtSecret(environment), key);
            put(ssm, env.get("RESTORE_PASSKEY_PARAMETER"), PASSKEY, key);
        }
    }

    private static void put(SsmClient ssm, String name, String value, String key) {
        ssm.putParameter(b -> b.name(name).value(value).type(ParameterType.SECURE_STRING).overwrite(true)
                .keyId(key == null || key.isEmpty() ? null : key));
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
