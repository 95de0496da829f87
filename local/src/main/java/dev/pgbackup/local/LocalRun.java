package dev.pgbackup.local;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.pgbackup.backup.BackupApiHandler;
import dev.pgbackup.backup.BackupWorkerHandler;
import dev.pgbackup.common.AwsClients;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.config.Variable;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.list.JobStatusHandler;
import dev.pgbackup.list.ListBackupsHandler;
import dev.pgbackup.list.RetentionPreviewHandler;
import dev.pgbackup.restore.RestoreApiHandler;
import dev.pgbackup.restore.RestoreDrillHandler;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.template.Stack;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
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
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

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
    private final Map<String, String> env;
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
    private String jwtSecretNote;
    private String passkeyNote;

    private LocalRun(Map<String, String> env, Recording recording) {
        this.env = env;
        this.recording = recording;
    }

    /**
     * What a test watches of a run: the stack it deployed (with the parameters given and the resources made outside
     * the template), and interceptors on each function's clients (to record its calls). A plain run has none.
     */
    public interface Recording {
        Recording NONE = new Recording() {
            @Override
            public void deployed(Stack stack, Map<String, String> parameters, Map<String, String> physical) {
            }

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
            System.out.println("\nStopping: HTTP server, workers, embedded PostgreSQL, moto (whatever this run started)");
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
        parameters = parameters(root);
        String tools = get("PG_TOOLS_DIR", root.resolve("layers/postgresql-client/build").toString());
        if (!Files.isExecutable(Path.of(tools, "bin/pg_dump"))) {
            throw new IllegalStateException("no pg_dump under PG_TOOLS_DIR=" + tools
                    + " (build the layer: make -C layers/postgresql-client local)");
        }
        int port = integer("PORT", 3000);
        String bind = get("BIND_ADDRESS", "127.0.0.1");
        requireFree(bind, port, "PORT");

        // the SDK reads these before the environment: the emulator takes any credentials, and real ones
        // from the developer's shell must never travel to it
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        System.setProperty("aws.region", get("AWS_REGION", get("AWS_DEFAULT_REGION", "us-east-1")));
        AwsClients clients = new AwsClients(Optional.of(startAws(root)), true);
        deploy(root, clients, tools);
        String jwtSecret = prepareAws(clients, startDatabase());
        startApi(bind, port);
        Instant now = Instant.now();
        token = JWT.create()
                .withSubject("local-developer")
                .withArrayClaim(config.jwt().rolesClaim(), new String[] {config.jwt().requiredRole()})
                .withIssuedAt(now)
                .withExpiresAt(now.plus(TOKEN_LIFETIME))
                .sign(Algorithm.HMAC256(jwtSecret));
    }

    /**
     * The stack parameters this run deploys: the local defaults, then each function variable given (translated to
     * the parameter of template.yaml that sets it) and each parameter given by its own name. A variable the template
     * sets from no parameter cannot be given: a deployed stack could not have another value either.
     */
    private Map<String, String> parameters(Path root) {
        SamTemplate template = SamTemplate.load(root);
        String app = get("APP_NAME", "pharmatracker");
        String environment = get("ENVIRONMENT", "staging");
        Map<String, String> p = new LinkedHashMap<>();
        p.put("AppName", app);
        p.put("EnvironmentName", environment);
        p.put("BucketName", app + "-backups");
        p.put("DbUrlParameterName", "/" + app + "/" + environment + "/db-url");
        p.put("JwtSecretParameterName", "/" + app + "/" + environment + "/jwt-secret");
        p.put("RestorePasskeyParameterName", "/" + app + "/" + environment + "/restore-passkey");
        for (Map.Entry<String, String> e : env.entrySet()) {
            String key = e.getKey();
            if (template.parameterNames().contains(key)) {
                p.put(key, e.getValue());
            } else if (isFunctionVariable(key) && !key.equals("PG_TOOLS_DIR")) {
                String parameter = template.parameterOf(key).orElseThrow(() -> new IllegalStateException(key
                        + " is set by template.yaml itself, not from a stack parameter: it cannot be changed"));
                p.put(parameter, e.getValue());
            }
        }
        if (get("SANITIZE_SCRIPT_FILE", null) != null) {
            // the run stores the file in this parameter (prepareAws), as an operator stores the script in SSM
            p.putIfAbsent("SanitizeScriptParameter", "/" + app + "/" + environment + "/sanitize-script");
        }
        return p;
    }

    private static boolean isFunctionVariable(String name) {
        try {
            return Variable.valueOf(name).source == Variable.Source.TEMPLATE;
        } catch (IllegalArgumentException e) {
            return false;
        }
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
        String endpoint = get("AWS_ENDPOINT_URL", null);
        if (endpoint != null) {
            awsEndpoint = URI.create(endpoint);
            return awsEndpoint;
        }
        int motoPort = integer("MOTO_PORT", 5050);
        requireFree("127.0.0.1", motoPort, "MOTO_PORT");
        MotoProcess moto = MotoProcess.start(root, motoPort);
        started.push(moto);
        awsEndpoint = moto.endpoint();
        motoStartedHere = true;
        return awsEndpoint;
    }

    /** The database URL: DATABASE_URL when given, else an embedded PostgreSQL seeded with demo data. */
    private String startDatabase() throws IOException {
        String databaseUrl = get("DATABASE_URL", null);
        if (databaseUrl != null) {
            DbConnection.parse(databaseUrl); // fails early, without echoing the URL
            return databaseUrl;
        }
        String dbName = (config.appName() + "_" + config.environment()).replace('-', '_');
        embedded = EmbeddedDatabase.start(dbName, integer("PG_PORT", 0), config.environment(),
                integer("DEMO_ROWS", 2000));
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

    /**
     * The bucket and the three SecureStrings. The DB URL always names the database this run serves; the
     * JWT secret and passkey come from JWT_SECRET / RESTORE_PASSKEY when set, else an existing parameter
     * (a shared emulator) is kept, else the printed defaults are written. Returns the JWT secret.
     */
    private String prepareAws(AwsClients clients, String databaseUrl) {
        try (S3Client s3 = clients.s3(); SsmClient ssm = clients.ssm()) {
            try {
                s3.headBucket(b -> b.bucket(config.bucket()));
            } catch (NoSuchBucketException e) {
                s3.createBucket(b -> b.bucket(config.bucket()));
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw e;
                }
                s3.createBucket(b -> b.bucket(config.bucket()));
            }
            put(ssm, config.dbUrlParameter(), databaseUrl);
            String scriptFile = get("SANITIZE_SCRIPT_FILE", null);
            if (scriptFile != null) {
                try {
                    String script = Files.readString(Path.of(scriptFile));
                    ssm.putParameter(b -> b.name(config.refresh().sanitizeParameter()).value(script)
                            .type(ParameterType.STRING).overwrite(true));
                } catch (IOException e) {
                    throw new IllegalStateException("SANITIZE_SCRIPT_FILE cannot be read: " + scriptFile);
                }
            }
            String[] jwt = secret(ssm, config.jwtSecretParameter(), "JWT_SECRET", defaultJwtSecret(config.environment()));
            String[] passkey = secret(ssm, config.restorePasskeyParameter(), "RESTORE_PASSKEY", DEFAULT_PASSKEY);
            jwtSecretNote = jwt[1];
            passkeyNote = passkey[1];
            return jwt[0];
        }
    }

    private String[] secret(SsmClient ssm, String parameter, String variable, String fallback) {
        String given = get(variable, null);
        if (given != null) {
            put(ssm, parameter, given);
            return new String[] {given, "from " + variable + " (not shown)"};
        }
        try {
            String existing = ssm.getParameter(b -> b.name(parameter).withDecryption(true)).parameter().value();
            return new String[] {existing, "kept the existing value of " + parameter + " (not shown)"};
        } catch (ParameterNotFoundException e) {
            put(ssm, parameter, fallback);
            return new String[] {fallback, "default '" + fallback + "' (set " + variable + " to change)"};
        }
    }

    private static void put(SsmClient ssm, String name, String value) {
        ssm.putParameter(b -> b.name(name).value(value).type(ParameterType.SECURE_STRING).overwrite(true));
    }

    void printBanner(PrintStream out) {
        String base = "http://localhost:" + port();
        out.println();
        out.println("pg-backup local run: app '" + config.appName() + "', environment '" + config.environment() + "'");
        out.println("  API            " + base + "/api/setting/{backup,backups,restore,jobs/<jobId>}");
        if (embedded != null) {
            out.println("  PostgreSQL     embedded, database '" + embedded.database() + "' on 127.0.0.1:" + embedded.port()
                    + " (demo data; gone when this run stops)");
            out.println("                 inspect: layers/postgresql-client/build/bin/psql -h 127.0.0.1 -p "
                    + embedded.port() + " -U postgres -d " + embedded.database());
        } else {
            out.println("  PostgreSQL     DATABASE_URL (not shown)");
        }
        out.println("  S3 + SSM       " + awsEndpoint + (motoStartedHere ? " (moto, started by this run)" : " (AWS_ENDPOINT_URL)")
                + ", bucket '" + config.bucket() + "'");
        out.println("  JWT secret     " + jwtSecretNote + " -> " + config.jwtSecretParameter());
        out.println("  Restore passkey " + passkeyNote + " -> " + config.restorePasskeyParameter());
        out.println("  pg tools       " + config.pgToolsDir());
        out.println("  Another environment sharing this emulator and bucket:");
        out.println("    ENVIRONMENT=" + (config.environment().equals("production") ? "staging" : "production")
                + " PORT=" + (port() + 1) + " AWS_ENDPOINT_URL=" + awsEndpoint + " ./scripts/run-local.sh");
        out.println();
        out.println("  Schedule       curl -X POST " + base + SCHEDULE_ROUTE.substring(5)
                + "   (what EventBridge sends the backup worker)");
        out.println("  Restore drill  curl -X POST " + base + DRILL_ROUTE.substring(5)
                + "   (the newest backup restored into a scratch database, checked, dropped)");
        out.println("  Refresh        curl -X POST " + base + REFRESH_ROUTE.substring(5) + "   " + config.refresh()
                .source().map(source -> "(a safety backup, then " + source + "'s newest backup restored here"
                        + (config.refresh().sanitizes() ? ", sanitised by " + config.refresh().sanitizeParameter() : "")
                        + ")").orElse("(off: start with REFRESH_SOURCE_ENVIRONMENT=production)"));
        out.println();
        out.println("Development token (HS256, roles [" + config.jwt().requiredRole() + "], expires in "
                + TOKEN_LIFETIME.toHours() + " h):");
        out.println("export TOKEN=" + token);
        out.println();
        out.println("Ready on " + base + " (" + config.environment() + ") - Ctrl-C stops everything this run started");
        out.flush();
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

    private String get(String key, String fallback) {
        String value = env.get(key);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private int integer(String key, int fallback) {
        String value = get(key, null);
        try {
            return value == null ? fallback : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(key + " must be a whole number: " + value);
        }
    }

    private static void requireFree(String host, int port, String variable) {
        if (port == 0) {
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new java.net.InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " is in use: set " + variable + " to a free port");
        }
    }
}
