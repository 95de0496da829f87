package dev.pgbackup.testsupport;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.Wiring;
import dev.pgbackup.common.audit.AuditLog;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.common.jobs.WorkerLauncher;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.LastBackup;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * A stack for the rule tests, in memory: the bucket ({@link InMemoryObjectStore}), the SecureStrings (a map),
 * business time (a {@link MutableClock}) and the worker launcher (recorded, and run inline when a test says
 * so). No network, no database, no template: the API handlers' rules run in milliseconds. (The integration tests'
 * {@link TestStack} is template.yaml deployed.)
 */
public final class UnitStack {
    public static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");

    public final String environment;
    public final MutableClock clock = new MutableClock(T0);
    public final InMemoryObjectStore objects;
    public final Map<String, String> secrets = new HashMap<>();
    public final Map<String, String> env;
    public final List<String> launches = new CopyOnWriteArrayList<>();
    public final ByteArrayOutputStream auditBytes = new ByteArrayOutputStream();
    public volatile BiConsumer<String, String> onLaunch = (function, payload) -> {};
    public final Wiring wiring;

    private UnitStack(String environment, Map<String, String> overrides) {
        this.environment = environment;
        this.objects = new InMemoryObjectStore("unit-bucket", clock);
        // the rules need no stack: the few variables Config requires, the rest at the code's defaults
        Map<String, String> e = new HashMap<>();
        e.put("APP_NAME", TestStack.APP);
        e.put("ENVIRONMENT", environment);
        e.put("BUCKET_NAME", "unit-bucket");
        e.put("DB_URL_PARAMETER", "/" + TestStack.APP + "/" + environment + "/db-url");
        e.put("JWT_SECRET_PARAMETER", "/" + TestStack.APP + "/" + environment + "/jwt-secret");
        e.put("RESTORE_PASSKEY_PARAMETER", "/" + TestStack.APP + "/" + environment + "/restore-passkey");
        e.put("BACKUP_WORKER_FUNCTION", "backup-worker-" + environment);
        e.put("RESTORE_WORKER_FUNCTION", "restore-worker-" + environment);
        e.put("PG_TOOLS_DIR", "/nonexistent");
        e.put("WAIT_BUDGET_SECONDS", "0");
        e.putAll(overrides);
        this.env = Map.copyOf(e);
        Config config = Config.from(env);
        secrets.put(config.jwtSecretParameter(), TestStack.jwtSecret(environment));
        secrets.put(config.restorePasskeyParameter(), TestStack.PASSKEY);
        WorkerLauncher launcher = (function, payload) -> {
            launches.add(payload);
            onLaunch.accept(function, payload);
        };
        this.wiring = new Wiring(config, clock, Deadline.Ticker.SYSTEM,
                new AuditLog(new PrintStream(auditBytes, true, StandardCharsets.UTF_8)), objects, unusedArchives(),
                name -> {
                    String value = secrets.get(name);
                    if (value == null) {
                        throw new IllegalStateException("SSM parameter not found: " + name);
                    }
                    return value;
                }, () -> launcher);
    }

    public static UnitStack create(String environment, Map<String, String> overrides) {
        return new UnitStack(environment, overrides);
    }

    public static UnitStack create(String environment) {
        return create(environment, Map.of());
    }

    private static ArchiveStorage unusedArchives() {
        return new ArchiveStorage() {
            @Override
            public Uploaded upload(String key, java.io.InputStream body, Deadline deadline, Runnable onFailure) {
                throw new UnsupportedOperationException("the rule tests move no archives");
            }

            @Override
            public Reading open(String key, String eTag) {
                throw new UnsupportedOperationException("the rule tests move no archives");
            }

            @Override
            public Uploaded download(String key, String eTag, java.nio.file.Path file, Deadline deadline) {
                throw new UnsupportedOperationException("the rule tests move no archives");
            }
        };
    }

    public String audit() {
        return auditBytes.toString(StandardCharsets.UTF_8);
    }

    public String token(String subject, String... roles) {
        return JWT.create().withSubject(subject).withArrayClaim("roles", roles)
                .withExpiresAt(clock.instant().plus(Duration.ofHours(1)))
                .sign(Algorithm.HMAC256(TestStack.jwtSecret(environment)));
    }

    /** A backup object of {@code environment} taken at {@code when}, as the bucket would hold it. */
    public String plantBackup(String environmentOfBackup, Instant when) {
        String name = BackupFiles.name(environmentOfBackup, when);
        objects.plant(name, "PGDMP not really", when);
        return name;
    }

    /** The completion record of this environment's backup worker. */
    public void markCompleted(String filename, Instant startedAt, Instant completedAt) {
        BackupName.parse(TestStack.APP, filename).orElseThrow();
        objects.plant(wiring.keys.lastBackup(),
                Json.write(new LastBackup(filename, "11111111-1111-1111-1111-111111111111",
                        startedAt, completedAt, null, null)),
                completedAt);
    }
}
