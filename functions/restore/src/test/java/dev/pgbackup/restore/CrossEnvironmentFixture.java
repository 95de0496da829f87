package dev.pgbackup.restore;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.restore.api.RestoreApiHandler;
import dev.pgbackup.testsupport.ApiEvents;
import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.MutableClock;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestContext;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * A staging stack on its own bucket and its own freshly seeded database (customers with names, e-mails and phones,
 * orders, sessions, API tokens), with a backup of a production database of the same shape in the bucket. The stack
 * runs on one clock, which the test may move: names, completion records and tokens all come from it.
 */
final class CrossEnvironmentFixture {
    static final String PRODUCTION_DB = "crossenv_production";
    static final String FIRST_PRODUCTION_NAME = "customer 1 production-data";
    static final String FIRST_STAGING_NAME = "customer 1 staging-data";
    private static byte[] productionDump;

    final MutableClock clock = new MutableClock(Instant.now());
    final TestPostgres pg = TestPostgres.get();
    final TestStack stack;
    final String target;
    final String productionBackup;
    final Map<String, List<String>> stagingSnapshot;
    final List<String> responses = new ArrayList<>();

    static synchronized byte[] productionDump() {
        if (productionDump == null) {
            TestPostgres pg = TestPostgres.get();
            if (!pg.databaseExists(PRODUCTION_DB)) {
                pg.createDatabase(PRODUCTION_DB);
                SeedData.seed(pg, PRODUCTION_DB, 300, "production-data");
                SeedData.seedPersonalData(pg, PRODUCTION_DB, "production");
            }
            productionDump = BackupFiles.dump(pg, PRODUCTION_DB);
        }
        return productionDump;
    }

    CrossEnvironmentFixture(Map<String, String> overrides) {
        String bucket = "crossenv-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        target = "staging_" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(target);
        SeedData.seed(pg, target, 120, "staging-data");
        SeedData.seedPersonalData(pg, target, "staging");
        Map<String, String> env = new HashMap<>(Map.of("RESTORE_JOBS", "1"));
        env.putAll(overrides);
        stack = TestStack.create("staging", bucket, target, env, clock, MotoServer.get().endpoint());
        stagingSnapshot = pg.snapshot(target);
        productionBackup = BackupFiles.name("production", clock.instant().minus(Duration.ofHours(3)));
        BackupFiles.upload(stack.s3, bucket, productionBackup, productionDump());
        stack.worker(stack.env.get("RESTORE_WORKER_FUNCTION"), (payload, context) -> stack
                .handler(RestoreWorkerHandler.class).handleRequest(RestoreIT.map(payload), context));
    }

    /** A backup of staging as it is now, completed now on the stack's clock: the safety backup. */
    String safetyBackup() {
        String name = BackupFiles.name("staging", clock.instant());
        byte[] dump = BackupFiles.dump(pg, target);
        BackupFiles.upload(stack.s3, stack.bucket, name, dump);
        BackupFiles.markCompleted(stack.s3, stack.bucket, name, "staging", clock.instant());
        new dev.pgbackup.common.storage.Records(stack.wiring.objects).write(stack.wiring.keys.manifest(name,
                dev.pgbackup.common.storage.BackupClass.ON_DEMAND),
                new dev.pgbackup.common.storage.Manifest(name,
                        "staging", dev.pgbackup.common.storage.BackupClass.ON_DEMAND, UUID.randomUUID().toString(),
                        clock.instant(), clock.instant(), dump.length, RestoreIT.sha256(dump), "15", "15", "gzip",
                        null));
        return name;
    }

    /** An SSM parameter (String, as an operator may create it) with the script, named for this stack. */
    static String putScriptParameter(String name, String script) {
        try (SsmClient ssm = new dev.pgbackup.common.AwsClients(Optional.of(MotoServer.get().endpoint()), true).ssm()) {
            ssm.putParameter(b -> b.name(name).value(script).type(ParameterType.STRING).overwrite(true));
        }
        return name;
    }

    void putObject(String key, String body) {
        stack.s3.putObject(b -> b.bucket(stack.bucket).key(key), RequestBody.fromString(body));
    }

    APIGatewayV2HTTPResponse restore(Map<String, Object> body) {
        APIGatewayV2HTTPResponse response = stack.handler(RestoreApiHandler.class).handleRequest(
                ApiEvents.request("POST", "/api/setting/restore", TestStack.bearer(stack.token("ops@example.com",
                        "WEB_ACCESS")), Json.write(body)),
                new TestContext(Duration.ofSeconds(30)));
        responses.add(response.getBody());
        stack.awaitWorkers();
        return response;
    }

    APIGatewayV2HTTPResponse restore(String filename) {
        return restore(body(filename));
    }

    static Map<String, Object> body(String filename, Object... more) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("filename", filename);
        body.put("passkey", TestStack.PASSKEY);
        for (int i = 0; i < more.length; i += 2) {
            body.put((String) more[i], more[i + 1]);
        }
        return body;
    }

    List<String> keys(String prefix) {
        return stack.keys(prefix);
    }

    String raw(String prefix) {
        return stack.raw(prefix);
    }

    List<JobRecord> jobs() {
        String prefix = "pgbackup/jobs/pharmatracker-staging/";
        return keys(prefix).stream().map(k -> stack.wiring.jobs.find(k.substring(prefix.length(), k.length() - 5))
                .orElseThrow()).sorted(java.util.Comparator.comparing(JobRecord::createdAt)).toList();
    }

    /** What the journal of created databases holds, as "KIND name". */
    List<String> journal() {
        return new CreatedDatabases(stack.wiring.objects, stack.wiring.keys, clock).all().stream()
                .map(e -> e.kind() + " " + e.name()).toList();
    }

    /** The databases this fixture's target has beside it. */
    List<String> beside() {
        return pg.databases(DatabaseNames.base(target) + "_");
    }

    String firstCustomer(String database) {
        return pg.query(database, "select name from customers order by id limit 1").get(0);
    }

    void drop() {
        for (String db : beside()) {
            pg.dropDatabase(DatabaseNames.quoteIdent(db));
        }
        pg.dropDatabase(DatabaseNames.quoteIdent(target));
    }
}
