package dev.pgbackup.common;

import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Function;

/**
 * The wiring shared by every handler: configuration and clients, built once per container. Handlers take
 * it in their constructor; their no-argument constructor (what Lambda calls) uses {@link #fromEnvironment()}.
 * Nothing here reads a secret: secrets are fetched lazily on first use (SnapStart-safe).
 */
public final class Services {
    private static volatile Services fromEnvironment;

    public final Config config;
    public final Clock clock;
    public final BackupStore store;
    public final JobStore jobs;
    public final SecretParameters secrets;
    public final JwtAuthenticator auth;
    public final PgTools pgTools;
    public final AuditLog audit;
    public final JobRunner jobRunner;

    public Services(Config config, AwsClients clients, Function<AwsClients, WorkerLauncher> launcher, Clock clock,
                    AuditLog audit) {
        this.config = config;
        this.clock = clock;
        this.store = new BackupStore(clients.s3(), clients, config.bucket(), config.appName());
        this.jobs = new JobStore(store, config.staleAfter(), clock);
        this.secrets = new SecretParameters(clients.ssm(), config.secretTtl(), clock);
        this.auth = new JwtAuthenticator(() -> secrets.get(config.jwtSecretParameter()), config.requiredRole(),
                config.rolesClaim());
        this.pgTools = new PgTools(Path.of(config.pgToolsDir()));
        this.audit = audit;
        // built on first use: the list function ships without the Lambda SDK client
        this.jobRunner = new JobRunner(jobs, () -> launcher.apply(clients), config.waitBudget(), clock);
    }

    public static Services fromEnvironment() {
        if (fromEnvironment == null) {
            synchronized (Services.class) {
                if (fromEnvironment == null) {
                    fromEnvironment = new Services(Config.fromEnvironment(), AwsClients.fromEnvironment(),
                            clients -> new LambdaWorkerLauncher(clients.lambda()), Clock.systemUTC(), new AuditLog());
                }
            }
        }
        return fromEnvironment;
    }

    /** The environment's database, from its SecureString (cached with the secret TTL). */
    public DbConnection database() {
        return DbConnection.parse(secrets.get(config.dbUrlParameter()));
    }

    /**
     * The values to scrub from unexpected error text: the database password, if it can be read at all
     * (a failure to read it must not hide the original error).
     */
    public java.util.List<String> databaseSecrets() {
        try {
            String password = database().password();
            return password == null ? java.util.List.of() : java.util.List.of(password);
        } catch (RuntimeException e) {
            return java.util.List.of();
        }
    }

    /** What a worker invocation returns (visible in the Lambda console and the RIE). */
    public static java.util.Map<String, Object> workerResult(JobRecord job) {
        java.util.Map<String, Object> result = new java.util.LinkedHashMap<>();
        result.put("jobId", job.jobId());
        result.put("status", job.status().name());
        result.put("filename", job.filename());
        result.put("message", job.message());
        return result;
    }

    /** A job as the status endpoint shows it (no internals beyond what an operator needs). */
    public static java.util.Map<String, Object> jobView(JobRecord job) {
        java.util.Map<String, Object> view = new java.util.LinkedHashMap<>();
        view.put("jobId", job.jobId());
        view.put("type", job.type().name());
        view.put("status", job.status().name());
        view.put("environment", job.environment());
        view.put("filename", job.filename());
        view.put("createdAt", job.createdAt().toString());
        if (job.finishedAt() != null) {
            view.put("finishedAt", job.finishedAt().toString());
            view.put("durationMs", job.durationMs());
        }
        if (job.bytes() != null) {
            view.put("bytes", job.bytes());
        }
        if (job.message() != null) {
            view.put("message", job.message());
        }
        if (job.details() != null) {
            view.put("details", job.details());
        }
        return view;
    }
}
