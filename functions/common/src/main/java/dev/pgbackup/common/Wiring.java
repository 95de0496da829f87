package dev.pgbackup.common;

import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.jobs.JobMetrics;
import dev.pgbackup.common.auth.JwtAuthenticator;
import dev.pgbackup.common.auth.Passkey;
import dev.pgbackup.common.auth.RoutedSecrets;
import dev.pgbackup.common.auth.SecretSource;
import dev.pgbackup.common.auth.SecretsManagerSecrets;
import dev.pgbackup.common.auth.SsmSecrets;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.db.DatabaseLogins;
import dev.pgbackup.common.db.DbConnection;
import dev.pgbackup.common.db.IamAuthTokens;
import dev.pgbackup.common.db.PgTools;
import dev.pgbackup.common.events.AwsJobEvents;
import dev.pgbackup.common.events.JobEvents;
import dev.pgbackup.common.http.ApiEdge;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.jobs.JobRunner;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.LambdaWorkerLauncher;
import dev.pgbackup.common.jobs.Lock;
import dev.pgbackup.common.jobs.WorkerLauncher;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.ObjectStore;
import dev.pgbackup.common.storage.Records;
import dev.pgbackup.common.storage.S3Archives;
import dev.pgbackup.common.storage.S3ObjectStore;
import dev.pgbackup.common.storage.StateKeys;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

/**
 * The composition root: configuration and clients, built once per container and handed to the handlers'
 * constructors (their no-argument constructor, which Lambda calls, uses {@link #fromEnvironment()}). Domain
 * classes receive only the parts they need. Nothing here reads a secret: secrets are fetched lazily on first
 * use, so a SnapStart snapshot holds none.
 */
public final class Wiring {
    private static volatile Wiring fromEnvironment;

    public final Config config;
    public final Clock clock;
    public final Deadline.Ticker ticker;
    public final AuditLog audit;
    /** The jobs' CloudWatch metrics, written to the audit log's stream at the job's clock. */
    public final JobMetrics metrics;
    public final ObjectStore objects;
    public final Records records;
    public final StateKeys keys;
    public final ArchiveStorage archives;
    public final SecretSource secrets;
    final JwtAuthenticator auth;
    public final ApiEdge edge;
    public final Passkey passkey;
    public final PgTools pgTools;
    public final JobStore jobs;
    public final JobRunner runner;
    public final BackupCatalog catalog;
    /** How the workers announce a finished job (EventBridge, SNS); off unless the configuration names a bus or topic. */
    public final JobEvents events;
    /** The environment's database credentials (SSM URL or Secrets Manager secret, optionally IAM tokens). */
    public final DatabaseLogins databases;
    /** KMS for the workers' client-side encryption, built on first use (the API and list jars lack the KMS SDK). */
    public final Supplier<software.amazon.awssdk.services.kms.KmsClient> kms;
    /** This container's endpoint settings, for the clients only one function builds (null: wired without AWS). */
    public final AwsClients aws;

    public Wiring(Config config, Clock clock, Deadline.Ticker ticker, AuditLog audit, ObjectStore objects,
            ArchiveStorage archives, SecretSource secrets, Supplier<WorkerLauncher> launcher) {
        this(config, clock, ticker, audit, objects, archives, secrets, launcher, JobEvents.OFF);
    }

    public Wiring(Config config, Clock clock, Deadline.Ticker ticker, AuditLog audit, ObjectStore objects,
            ArchiveStorage archives, SecretSource secrets, Supplier<WorkerLauncher> launcher, JobEvents events) {
        this(config, clock, ticker, audit, objects, archives, secrets, launcher, events, unavailable());
    }

    public Wiring(Config config, Clock clock, Deadline.Ticker ticker, AuditLog audit, ObjectStore objects,
            ArchiveStorage archives, SecretSource secrets, Supplier<WorkerLauncher> launcher, JobEvents events,
            Supplier<software.amazon.awssdk.services.kms.KmsClient> kms) {
        this(config, clock, ticker, audit, objects, archives, secrets, launcher, events, kms, null);
    }

    public Wiring(Config config, Clock clock, Deadline.Ticker ticker, AuditLog audit, ObjectStore objects,
            ArchiveStorage archives, SecretSource secrets, Supplier<WorkerLauncher> launcher, JobEvents events,
            Supplier<software.amazon.awssdk.services.kms.KmsClient> kms, AwsClients aws) {
        this.kms = kms;
        this.aws = aws;
        this.config = config;
        this.clock = clock;
        this.ticker = ticker;
        this.audit = audit;
        this.metrics = new JobMetrics(audit, clock, config.appName(), config.environment());
        this.objects = objects;
        this.records = new Records(objects);
        this.keys = StateKeys.of(config);
        this.archives = archives;
        this.secrets = secrets;
        this.auth = new JwtAuthenticator(secrets, config.jwtSecretParameter(), config.jwt(), clock);
        this.edge = new ApiEdge(auth, audit, config.environment());
        this.passkey = new Passkey(secrets, config.restorePasskeyParameter());
        this.pgTools = new PgTools(Path.of(config.pgToolsDir()));
        this.jobs = new JobStore(records, keys, type -> limitsOf(config, type).staleAfter(), clock);
        // built on first use: the list function ships without the Lambda SDK client
        this.runner = new JobRunner(jobs, launcher, clock);
        this.catalog = new BackupCatalog(objects, keys);
        this.events = events;
        this.databases = new DatabaseLogins(config.database(), secrets, Path.of(config.pgToolsDir(), "certs"),
                () -> IamAuthTokens.fromEnvironment(clock));
    }

    /** The real clients of one container: S3, SSM and (on first use) Lambda, from the SDK's defaults or AWS_ENDPOINT_URL. */
    public static Wiring forAws(Config config, AwsClients clients, Clock clock, AuditLog audit,
            Supplier<WorkerLauncher> launcher) {
        return forAws(config, clients, clock, Deadline.Ticker.SYSTEM, audit, launcher);
    }

    public static Wiring forAws(Config config, AwsClients clients, Clock clock, Deadline.Ticker ticker, AuditLog audit,
            Supplier<WorkerLauncher> launcher) {
        var s3 = clients.s3();
        // the database secret may live in Secrets Manager: its client is built when a worker first reads it
        SecretSource secrets = new RoutedSecrets(new SsmSecrets(clients.ssm(), config.secretTtl(), clock),
                () -> new SecretsManagerSecrets(clients.secretsManager(), config.secretTtl(), clock));
        return new Wiring(config, clock, ticker, audit,
                new S3ObjectStore(s3, config.bucket(), config.encryption().kmsKeyId()),
                new S3Archives(s3, config.bucket(), clients.archiveClients(), config.encryption()), secrets, launcher,
                JobEvents.lazy(() -> AwsJobEvents.create(clients, config)), Once.of(new Supplier<>() {
                    @Override
                    public software.amazon.awssdk.services.kms.KmsClient get() {
                        return clients.kms();
                    }
                }), clients);
    }

    // The KMS supplier is never a lambda or method reference: bootstrapping one loads KmsClient, which the API and
    // list jars do not carry (an anonymous class names it only in signatures that are not resolved until called).

    private static <T> Supplier<T> unavailable() {
        return () -> {
            throw new IllegalStateException("this wiring has no KMS client");
        };
    }

    public static Wiring fromEnvironment() {
        if (fromEnvironment == null) {
            synchronized (Wiring.class) {
                if (fromEnvironment == null) {
                    AwsClients clients = AwsClients.fromEnvironment();
                    Wiring wiring = forAws(Config.fromEnvironment(), clients, Clock.systemUTC(), new AuditLog(),
                            () -> new LambdaWorkerLauncher(clients.lambda()));
                    Priming.register(wiring.config, wiring.objects); // SnapStart: warm before the snapshot
                    fromEnvironment = wiring;
                }
            }
        }
        return fromEnvironment;
    }

    /** The limits of the function that runs a job of {@code type}: its window and its staleness. */
    public Config.WorkerLimits limitsOf(JobRecord.Type type) {
        return limitsOf(config, type);
    }

    private static Config.WorkerLimits limitsOf(Config config, JobRecord.Type type) {
        return switch (type) {
            case BACKUP -> config.backupWorker();
            case RESTORE -> config.restoreWorker();
            case DRILL -> config.drill().worker();
        };
    }

    public Lock backupLock() {
        return new Lock(records, keys.backupLock(), config.backupWorker().staleAfter(), clock);
    }

    public Lock restoreLock() {
        return new Lock(records, keys.restoreLock(), config.restoreWorker().staleAfter(), clock);
    }

    /** This environment's database, from its SecureString or secret (cached with the secret TTL). */
    public DbConnection database() {
        return databases.current();
    }

    /** This environment's database as last read (no call to SSM or Secrets Manager), if it was. */
    private java.util.Optional<DbConnection> databaseAtHand() {
        return databases.atHand();
    }

    /**
     * Adds a warning to a worker's audit line when its database connection does not verify the server (from
     * the URL the job read: no further call to SSM).
     */
    public void warnAboutTls(dev.pgbackup.common.audit.AuditLog.Entry audit) {
        databaseAtHand().flatMap(DbConnection::tlsWarning).ifPresent(w -> audit.with("tlsWarning", w));
    }

    /**
     * The values to scrub from unexpected error text: the database password as the job read it (reading it
     * again could fail for the same reason the job did, and must not hide the original error).
     */
    public List<String> databaseSecrets() {
        return databaseAtHand().map(DbConnection::password).map(List::of).orElse(List.of());
    }
}
