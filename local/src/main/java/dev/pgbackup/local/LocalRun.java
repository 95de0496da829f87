package dev.pgbackup.local;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.pgbackup.backup.BackupApiHandler;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.list.JobStatusHandler;
import dev.pgbackup.list.ListBackupsHandler;
import dev.pgbackup.list.RetentionPreviewHandler;
import dev.pgbackup.restore.api.RestoreApiHandler;
import dev.pgbackup.restore.drill.RestoreDrillHandler;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.template.Stack;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * The product on localhost ({@code ./scripts/run-local.sh}): the real handlers behind the HTTP routes of
 * template.yaml, workers run asynchronously in process, S3 and SSM from moto, PostgreSQL embedded and
 * seeded with demo data. See docs/local-run.md for every variable.
 */
public final class LocalRun implements AutoCloseable {
    /** Each environment signs with its own secret, as in AWS (and at least 32 bytes, which the functions require). */
    public static String defaultJwtSecret(String environment) {
        return "local-development-jwt-secret-of-" + environment + "-change-me";
    }

    public static final String DEFAULT_PASSKEY = "local-restore-passkey";
    public static final Duration TOKEN_LIFETIME = Duration.ofHours(12);
    /** PerExecutionEnvironmentMaxConcurrency of the workers in template.yaml on Lambda Managed Instances. */
    static final int MANAGED_CONCURRENCY = 2;
    /** Local only: fires the scheduled backup, as EventBridge Scheduler would. */
    static final String SCHEDULE_ROUTE = "POST /local/scheduled-backup";
    /** Local only: fires a restore drill, as its EventBridge schedule would. */
    static final String DRILL_ROUTE = "POST /local/restore-drill";
    /** Local only: fires the scheduled refresh (with REFRESH_SOURCE_ENVIRONMENT), as its schedule would. */
    static final String REFRESH_ROUTE = "POST /local/refresh";

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final LocalEnvironment env;
    private final Recording recording;
    /** template.yaml as this run deploys it (from its variables); each function gets its environment from it. */
    private Stack stack;
    private Map<String, String> parameters;
    private Config config;
    private URI awsEndpoint;
    private boolean motoStartedHere;
    private EmbeddedDatabase embedded;
    private InProcessWorkers workers;
    private LocalApi api;
    private String token;
    private String tools;
    private AwsSeeding.Seeded seeded;

    private LocalRun(Map<String, String> env, Recording recording) {
        this.env = new LocalEnvironment(env);
        this.recording = recording;
    }

    /**
     * What a test watches of a run: the stack it deployed (with the parameters given and the resources made outside
     * the template), and interceptors on each function's clients (to record its calls). A plain run has none.
     */
    public interface Recording {
        Recording NONE = new Recording() {
            @Override
            public void deployed(Stack stack, Map<String, String> parameters, Map<String, String> physical) {}

            @Override
            public List<ExecutionInterceptor> interceptors(Stack stack, String function) {
                return List.of();
            }
        };

        void deployed(Stack stack, Map<String, String> parameters, Map<String, String> physical);

        List<ExecutionInterceptor> interceptors(Stack stack, String function);
    }

    public static void main(String[] args) throws Exception {
        LocalRun run = new LocalRun(System.getenv(), Recording.NONE);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out
                    .println("\nStopping: HTTP server, workers, embedded PostgreSQL, moto (whatever this run started)");
            run.close();
        }, "local-shutdown"));
        try {
            run.start(Path.of(System.getProperty("repo.root", ".")).toAbsolutePath().normalize());
        } catch (RuntimeException e) {
            System.err.println("local run failed: " + e.getMessage());
            System.exit(1);
        }
        run.printBanner(System.out);
        Thread.currentThread().join();
    }

    /** Starts everything; for tests. {@code env} replaces the process environment. */
    public static LocalRun start(Map<String, String> env, Path root) throws IOException {
        return start(env, root, Recording.NONE);
    }

    public static LocalRun start(Map<String, String> env, Path root, Recording recording) throws IOException {
        LocalRun run = new LocalRun(env, recording);
        try {
            run.start(root);
        } catch (RuntimeException | IOException e) {
            run.close();
            throw e;
        }
        return run;
    }

    private void start(Path root) throws IOException {
        parameters = StackParameters.of(env, root);
        String tools = env.get("PG_TOOLS_DIR", root.resolve("layers/postgresql-client/build").toString());
        if (!Files.isExecutable(Path.of(tools, "bin/pg_dump"))) {
            throw new IllegalStateException("no pg_dump under PG_TOOLS_DIR=" + tools
                    + " (build the layer: make -C layers/postgresql-client local)");
        }
        int port = env.integer("PORT", 3000);
        String bind = env.get("BIND_ADDRESS", "127.0.0.1");
        LocalEnvironment.requireFree(bind, port, "PORT");

        // the SDK reads these before the environment: the emulator takes any credentials, and real ones
        // from the developer's shell must never travel to it
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        System.setProperty("aws.region", env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1")));
        AwsClients clients = new AwsClients(Optional.of(startAws(root)), true);
        deploy(root, clients, tools);
        seeded = new AwsSeeding(env, config).seed(clients, startDatabase());
        startApi(bind, port);
        Instant now = Instant.now();
        token = JWT.create()
                .withSubject("local-developer")
                .withArrayClaim(config.jwt().rolesClaim(), new String[] {config.jwt().requiredRole()})
                .withIssuedAt(now)
                .withExpiresAt(now.plus(TOKEN_LIFETIME))
                .sign(Algorithm.HMAC256(seeded.jwtSecret()));
    }

    /**
     * template.yaml for this run's parameters. What the stack makes that the functions only name is made in the
     * emulator: its backup key (unless one is given) and its alarm topic.
     */
    private void deploy(Path root, AwsClients clients, String tools) {
        String name = parameters.get("AppName") + "-" + parameters.get("EnvironmentName");
        Map<String, String> physical = new LinkedHashMap<>();
        if (parameters.getOrDefault("BackupKmsKeyArn", "").isEmpty()) {
            try (var kms = clients.kms()) {
                physical.put("BackupKey", kms.createKey(b -> b.description("Backups of " + name + " (local run)"))
                        .keyMetadata().arn());
            }
        }
        try (var sns = clients.sns()) {
            physical.put("AlarmTopic", sns.createTopic(b -> b.name(name + "-alarms")).topicArn());
        }
        stack = SamTemplate.load(root).deploy(name, parameters, physical);
        recording.deployed(stack, parameters, physical);
        this.tools = tools;
        // the run's view: every function's variables together (each name has one value in a stack)
        Map<String, String> all = new HashMap<>();
        stack.functions().forEach(f -> all.putAll(environmentOf(f)));
        config = Config.from(all); // checked before anything starts
    }

    /** A function's variables as the template sets them, the layer where this run has it (Lambda mounts it at /opt). */
    private Map<String, String> environmentOf(Stack.Function function) {
        Map<String, String> variables = new HashMap<>(function.environment());
        if ("/opt".equals(variables.get("PG_TOOLS_DIR"))) {
            variables.put("PG_TOOLS_DIR", tools);
        }
        return variables;
    }

    /** The S3/SSM endpoint: AWS_ENDPOINT_URL when given (a shared emulator), else a moto started here. */
    private URI startAws(Path root) throws IOException {
        String endpoint = env.get("AWS_ENDPOINT_URL", null);
        if (endpoint != null) {
            awsEndpoint = URI.create(endpoint);
            return awsEndpoint;
        }
        int motoPort = env.integer("MOTO_PORT", 5050);
        LocalEnvironment.requireFree("127.0.0.1", motoPort, "MOTO_PORT");
        MotoProcess moto = MotoProcess.start(root, motoPort);
        started.push(moto);
        awsEndpoint = moto.endpoint();
        motoStartedHere = true;
        return awsEndpoint;
    }

    /** The database URL: DATABASE_URL when given, else an embedded PostgreSQL seeded with demo data. */
    private String startDatabase() throws IOException {
        String databaseUrl = env.get("DATABASE_URL", null);
        if (databaseUrl != null) {
            DbConnection.parse(databaseUrl); // fails early, without echoing the URL
            return databaseUrl;
        }
        String dbName = (config.appName() + "_" + config.environment()).replace('-', '_');
        embedded = EmbeddedDatabase.start(dbName, env.integer("PG_PORT", 0), config.environment(),
                env.integer("DEMO_ROWS", 2000));
        started.push(embedded);
        return embedded.url();
    }

    /**
     * The routes of template.yaml and the workers behind them, each function with its own environment and clients.
     * Workers get the configured timeout as their deadline, and the concurrency their functions have: on standard
     * Lambda the restore worker's reserved concurrency of 1; on Lambda Managed Instances several invocations share
     * one handler in one JVM.
     */
    private void startApi(String bind, int port) throws IOException {
        workers = new InProcessWorkers(config.backupWorker().timeout());
        started.push(workers);
        BackupWorkerHandler backupWorker = new BackupWorkerHandler(wiring(BackupWorkerHandler.class));
        RestoreWorkerHandler restoreWorker = new RestoreWorkerHandler(wiring(RestoreWorkerHandler.class));
        boolean managed = config.workerCompute() == Config.WorkerCompute.MANAGED_INSTANCES;
        // registered under the names the API functions invoke (on managed instances, the workers' alias)
        workers.register(config.backupWorkerFunction(), managed ? MANAGED_CONCURRENCY : 4, () -> backupWorker);
        workers.register(config.restoreWorkerFunction(), managed ? MANAGED_CONCURRENCY : 1, () -> restoreWorker);
        RestoreDrillHandler drill = new RestoreDrillHandler(wiring(RestoreDrillHandler.class)); // standard Lambda always
        workers.register(drillFunction(), 1, () -> drill);
        api = new LocalApi(bind, port)
                .route("POST /api/setting/backup", new BackupApiHandler(wiring(BackupApiHandler.class)))
                .route("GET /api/setting/backups", new ListBackupsHandler(wiring(ListBackupsHandler.class)))
                .route("POST /api/setting/restore", new RestoreApiHandler(wiring(RestoreApiHandler.class)))
                .route("GET /api/setting/jobs/{jobId}", new JobStatusHandler(wiring(JobStatusHandler.class)))
                .route("GET /api/setting/retention", new RetentionPreviewHandler(wiring(RetentionPreviewHandler.class)))
                .route(SCHEDULE_ROUTE, ScheduleTrigger.backup(workers, config.backupWorkerFunction(), config))
                .route(DRILL_ROUTE, ScheduleTrigger.drill(workers, drillFunction(), config))
                .route(REFRESH_ROUTE, ScheduleTrigger.refresh(workers, config.backupWorkerFunction(), config));
        started.push(api);
        api.start();
    }

    /** The wiring of the template's function with this handler: its variables, its own clients. */
    private Wiring wiring(Class<?> handler) {
        Stack.Function function = stack.function(handler.getName());
        AwsClients clients = new AwsClients(Optional.of(awsEndpoint), true,
                recording.interceptors(stack, function.logicalId()));
        return Wiring.forAws(Config.from(environmentOf(function)), clients, Clock.systemUTC(), new AuditLog(System.out),
                () -> workers);
    }

    void printBanner(PrintStream out) {
        Banner.print(out, this);
    }

    private String drillFunction() {
        return stack.function(RestoreDrillHandler.class.getName()).name();
    }

    public int port() {
        return api.port();
    }

    public String token() {
        return token;
    }

    /** An output of the stack this run deployed (RestoreWorkerRoleArn, ...), as CloudFormation would show it. */
    public String output(String name) {
        return stack.output(name).orElseThrow(() -> new IllegalStateException("no output " + name));
    }

    public URI awsEndpoint() {
        return awsEndpoint;
    }

    EmbeddedDatabase embedded() {
        return embedded;
    }

    boolean motoStartedHere() {
        return motoStartedHere;
    }

    AwsSeeding.Seeded seeded() {
        return seeded;
    }

    InProcessWorkers workers() {
        return workers;
    }

    public Config config() {
        return config;
    }

    @Override
    public synchronized void close() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                System.err.println("[local] stopping: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }
}
