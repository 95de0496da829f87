package dev.pgbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.jobs.JobStore;
import dev.pgbackup.common.jobs.ProgressReporter;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.time.Deadline;
import dev.pgbackup.restore.RestoreRequest;
import dev.pgbackup.restore.RestoreService;
import dev.pgbackup.restore.RestoreWorkerHandler;
import dev.pgbackup.restore.RoleOptions;
import dev.pgbackup.testsupport.MutableClock;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Roles with the backup: a database whose schema and table belong to {@code shop_owner}, read by {@code shop_reader}
 * through {@code shop_readers} (grants and default privileges), backed up through the real backup path (pg_dumpall
 * and pg_dump of the layer, moto), then restored into a fresh server (only the superuser and the application's user,
 * which has CREATEROLE as an RDS master user does): by default, with the roles created and ownership restored, and
 * with ownership alone (refused before anything changes). Roles, memberships, owners and grants are compared by name.
 */
class RolesRestoreIT {
    static final String SOURCE_DB = "roles_source";
    static final String TARGET_DB = "roles_target";
    private static TestPostgres source;
    private static TestStack production;
    private static String backup;
    private static Manifest manifest;
    private TestPostgres fresh;

    @BeforeAll
    static void backUpTheSource() {
        BackupFaultsFixture.seed();
        source = TestPostgres.get();
        if (!source.databaseExists(SOURCE_DB)) {
            source.admin("create role shop_owner nologin");
            source.admin("create role shop_readers nologin noinherit");
            source.admin("create role shop_reader login connection limit 3 valid until '2031-01-01 00:00:00+00'");
            source.admin("grant shop_readers to shop_reader");
            // the application's user acts as the owner (it dumps the tables and, on a target, restores their owner)
            source.admin("grant shop_owner to " + TestPostgres.APP_USER);
            source.createDatabase(SOURCE_DB);
            source.execute(SOURCE_DB, """
                    create schema shop authorization shop_owner;
                    create table shop.orders (id int primary key, item text);
                    insert into shop.orders select g, 'item ' || g from generate_series(1, 50) g;
                    alter table shop.orders owner to shop_owner;
                    grant usage on schema shop to shop_readers;
                    grant select on shop.orders to shop_readers;
                    alter default privileges for role shop_owner in schema shop grant select on tables to shop_readers;
                    """);
        }
        String bucket = "roles-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        MutableClock clock = new MutableClock(Instant.now());
        production = TestStack.create("production", bucket, SOURCE_DB, Map.of(), clock);
        backup = backUp(production);
        manifest = production.wiring.catalog.manifest(production.wiring.catalog.find(backup).orElseThrow())
                .orElseThrow();
    }

    @AfterEach
    void stopTheFreshServer() {
        if (fresh != null) {
            fresh.stop();
        }
    }

    /** A staging stack whose database is on a new server, and a backup of the source that it may read. */
    private record Target(TestStack staging, String backup) {}

    /**
     * Staging first, then a production stack naming staging's restore roles as readers of its key, as
     * docs/deploy.md orders a two-environment deploy (without it, staging's worker may not decrypt production's
     * manifest: IamEvaluationIT judges these calls), and a backup of the source by that production.
     */
    private Target target() {
        fresh = TestPostgres.startFresh();
        fresh.admin("alter role " + TestPostgres.APP_USER + " createrole");
        String bucket = "roles-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        TestStack staging = TestStack.create("staging", bucket, TARGET_DB, Map.of(
                "RESTORE_SOURCE_ENVIRONMENTS", "production", "RESTORE_JOBS", "1"), production.clock);
        staging.putParameters(fresh.url(TARGET_DB));
        TestStack source = TestStack.create("production", bucket, SOURCE_DB,
                Map.of("BackupKeyReaderRoleArns", staging.restoreRoles()), production.clock);
        return new Target(staging, backUp(source));
    }

    /** An on-demand backup of the source by {@code stack}'s backup worker; its name. */
    private static String backUp(TestStack stack) {
        String name = BackupName.create(stack.wiring.config, stack.clock.instant()).filename();
        backups(stack).run(new BackupService.Request(JobStore.newJobId(), name, BackupClass.ON_DEMAND),
                Deadline.in(Duration.ofMinutes(10)));
        return name;
    }

    private static RestoreService.Outcome restore(Target target, RoleOptions options) {
        return restores(target.staging()).run(JobStore.newJobId(), target.backup(),
                RestoreRequest.REPLACE.withRoles(options), Deadline.in(Duration.ofMinutes(10)),
                ProgressReporter.none());
    }

    @Test
    void theBackupRecordsItsRolesBesideItsArchive() {
        assertNotNull(manifest.globals());
        assertTrue(manifest.globals().referenced().containsAll(List.of("shop_owner", "shop_readers")),
                manifest.globals().referenced().toString());
        assertTrue(manifest.globals().owners().contains("shop_owner"), manifest.globals().owners().toString());
        assertFalse(manifest.globals().owners().contains("shop_readers"), "a grantee owns nothing");
        String globals = production.raw("pgbackup/manifests/pharmatracker-production/" + backup + ".globals.sql");
        assertTrue(globals.contains("CREATE ROLE shop_reader;"), globals);
        assertFalse(globals.contains("PASSWORD"), "no password hash leaves the server");
        assertFalse(globals.contains(TestPostgres.APP_PASSWORD));
    }

    @Test
    void withoutOptionsARestoreIntoAFreshServerWorksAsBefore() {
        Target into = target();

        RestoreService.Outcome done = restore(into, RoleOptions.NONE);

        assertEquals(TARGET_DB, done.database());
        assertEquals(List.of("50"), fresh.query(TARGET_DB, "select count(*) from shop.orders"));
        assertEquals(List.of(TestPostgres.APP_USER), fresh.query(TARGET_DB,
                "select relowner::regrole::text from pg_class where relname = 'orders'"));
        assertEquals(List.of(), fresh.query("postgres", "select rolname from pg_roles where rolname like 'shop%'"));
        assertEquals(List.of(), done.rolesCreated());
    }

    @Test
    void bothOptionsGiveTheFreshServerTheSourcesRolesOwnersAndGrants() {
        Target into = target();

        RestoreService.Outcome done = restore(into, new RoleOptions(true, true));

        assertTrue(done.rolesCreated().containsAll(List.of("shop_owner", "shop_readers", "shop_reader")),
                done.rolesCreated().toString());
        assertTrue(done.details().contains("roles created without passwords (set them): "), done.details());
        assertEquals(List.of("50"), fresh.query(TARGET_DB, "select count(*) from shop.orders"));
        for (String sql : COMPARED) {
            String db = sql.contains("pg_namespace") || sql.contains("pg_class") || sql.contains("pg_default_acl")
                    ? null : "postgres";
            assertEquals(source.query(db == null ? SOURCE_DB : db, sql), fresh.query(db == null ? TARGET_DB : db, sql),
                    sql);
        }
        assertEquals(List.of("shop_owner"), fresh.query(TARGET_DB,
                "select relowner::regrole::text from pg_class where relname = 'orders'"));
    }

    @Test
    void clientSideEncryptedRolesAreStoredEncryptedAndDecryptedAsTheArchiveIs() {
        String bucket = "roles-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        fresh = TestPostgres.startFresh();
        fresh.admin("alter role " + TestPostgres.APP_USER + " createrole");
        TestStack staging = TestStack.create("staging", bucket, TARGET_DB, Map.of("RESTORE_SOURCE_ENVIRONMENTS",
                "production", "RESTORE_JOBS", "1"), production.clock);
        staging.putParameters(fresh.url(TARGET_DB));
        TestStack encrypting = TestStack.create("production", bucket, SOURCE_DB, Map.of("CLIENT_SIDE_ENCRYPTION",
                "true", "BackupKeyReaderRoleArns", staging.restoreRoles()), production.clock);
        String name = backUp(encrypting);

        String stored = new String(encrypting.s3.getObjectAsBytes(b -> b.bucket(bucket)
                .key("pgbackup/manifests/pharmatracker-production/" + name + ".globals.sql")).asByteArray(),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        assertFalse(stored.contains("CREATE ROLE"), "the roles are encrypted like the archive");
        RestoreService.Outcome done = restores(staging).run(JobStore.newJobId(), name,
                RestoreRequest.REPLACE.withRoles(new RoleOptions(true, true)), Deadline.in(Duration.ofMinutes(10)),
                ProgressReporter.none());

        assertTrue(done.rolesCreated().contains("shop_owner"), done.rolesCreated().toString());
        assertEquals(List.of("shop_owner"), fresh.query(TARGET_DB,
                "select relowner::regrole::text from pg_class where relname = 'orders'"));
    }

    @Test
    void ownershipWithoutTheRolesIsRefusedBeforeAnythingChanges() {
        Target into = target();
        List<String> databases = fresh.query("postgres", "select datname from pg_database order by 1");
        List<String> roles = fresh.query("postgres", "select rolname from pg_roles order by 1");

        Failure refused = assertThrows(Failure.class, () -> restore(into, new RoleOptions(false, true)));

        assertEquals(409, refused.status(), refused.getMessage());
        assertTrue(refused.getMessage().startsWith("Restore refused: the database's owners and grants name roles this "
                + "server does not have ("), refused.getMessage());
        assertTrue(refused.getMessage().contains("shop_owner"), refused.getMessage());
        assertEquals(databases, fresh.query("postgres", "select datname from pg_database order by 1"));
        assertEquals(roles, fresh.query("postgres", "select rolname from pg_roles order by 1"));
    }

    @Test
    void ownershipByAUserThatCannotSetRoleToTheOwnersIsRefusedBeforeAnyDatabaseIsCreated() {
        Target into = target();
        for (String role : List.of("shop_owner", "shop_readers", "shop_reader")) {
            fresh.admin("create role " + role);
        }
        List<String> databases = fresh.query("postgres", "select datname from pg_database order by 1");

        Failure refused = assertThrows(Failure.class, () -> restore(into, new RoleOptions(false, true)));

        assertEquals(409, refused.status(), refused.getMessage());
        assertTrue(refused.getMessage().startsWith("Restore refused: the restoring user '" + TestPostgres.APP_USER
                + "' may not give objects to shop_owner (ownership needs membership in each owner: GRANT "
                + "\"shop_owner\" TO \"" + TestPostgres.APP_USER + "\""), refused.getMessage());
        assertEquals(databases, fresh.query("postgres", "select datname from pg_database order by 1"));

        // once the user may act as the owner, the same restore gives the objects their owners
        fresh.admin("grant shop_owner to " + TestPostgres.APP_USER);
        restore(into, new RoleOptions(false, true));
        assertEquals(List.of("shop_owner"), fresh.query(TARGET_DB,
                "select relowner::regrole::text from pg_class where relname = 'orders'"));
    }

    @Test
    void aFailingPgDumpallFailsTheBackupWithItsDiagnosticAndLeavesNothing() {
        // the layer's tools, but a pg_dumpall that fails as one refused by the server would
        java.nio.file.Path layer = dev.pgbackup.testsupport.FakeTools.wrapping("pg_dumpall",
                "echo 'pg_dumpall: error: query failed: ERROR:  permission denied for table pg_authid' >&2\nexit 1");
        String bucket = "roles-" + UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        TestStack stack = TestStack.create("production", bucket, SOURCE_DB, Map.of("PG_TOOLS_DIR", layer.toString()),
                production.clock);
        String name = BackupName.create(stack.wiring.config, stack.clock.instant()).filename();

        Failure failed = assertThrows(Failure.class, () -> backups(stack).run(
                new BackupService.Request(JobStore.newJobId(), name, BackupClass.ON_DEMAND),
                Deadline.in(Duration.ofMinutes(5))));

        assertEquals("Backup failed: pg_dumpall --globals-only (the roles) exited with code 1: ", failed.getMessage()
                .substring(0, "Backup failed: pg_dumpall --globals-only (the roles) exited with code 1: ".length()));
        assertTrue(failed.getMessage().endsWith("(no backup was written)"), failed.getMessage());
        assertTrue(failed.diagnostic().contains("permission denied for table pg_authid"), failed.diagnostic());
        assertEquals(List.of(), stack.keys(""), "no archive, no roles, no manifest, no upload left");
        assertEquals(List.of(), stack.s3.listMultipartUploads(b -> b.bucket(bucket)).uploads());
    }

    /** The roles object is written like the archive: an upload S3 refuses fails the backup, nothing stays. */
    @Test
    void aRolesUploadS3RefusesIsNoBackup() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.SOURCE_DB, Map.of())) {
            dev.pgbackup.testsupport.FaultProxy.Rule refused = f.proxy.when(dev.pgbackup.testsupport.FaultProxy.s3(
                    null, "pgbackup/manifests/.*\\.globals\\.sql", null))
                    .respondS3Error(500, "InternalError", "injected by the test");

            Map<String, Object> result = BackupFaultsFixture.failedRun(f);

            assertTrue(refused.injected() >= 1, f.proxy.requests().toString());
            String message = (String) result.get("message");
            assertTrue(message.startsWith("Backup failed: its records could not be written and read back as a restore "
                    + "reads them ("), message);
            f.assertNothingLeftBehind();
        }
    }

    /** The roles read back other than written (a store that changed them): no backup, nothing left behind. */
    @Test
    void rolesThatReadBackDamagedAreNoBackup() {
        try (BackupFaultsFixture f = new BackupFaultsFixture(BackupWorkerFixture.SOURCE_DB, Map.of())) {
            f.proxy.when(dev.pgbackup.testsupport.FaultProxy.s3("GET", "pgbackup/manifests/.*\\.globals\\.sql", null))
                    .respond(200, "application/octet-stream", "CREATE ROLE intruder;");

            Map<String, Object> result = BackupFaultsFixture.failedRun(f);

            assertTrue(((String) result.get("message")).contains("do not match the size and checksum recorded when "
                    + "they were written"), String.valueOf(result.get("message")));
            f.assertNothingLeftBehind();
        }
    }

    /** Queried on both servers, compared by name: the roles, their memberships, owners, grants, default privileges. */
    static final List<String> COMPARED = List.of(
            "select rolname || ' ' || rolsuper || rolinherit || rolcreaterole || rolcreatedb || rolcanlogin "
                    + "|| rolreplication || rolbypassrls || ' ' || rolconnlimit || ' ' || coalesce(rolvaliduntil::text, '-') "
                    + "from pg_roles where rolname like 'shop%' order by 1",
            "select distinct r.rolname || ' to ' || m.rolname || ' ' || a.admin_option from pg_auth_members a "
                    + "join pg_roles r on r.oid = a.roleid join pg_roles m on m.oid = a.member "
                    + "where r.rolname like 'shop%' or m.rolname like 'shop%' order by 1",
            "select nspname || ' ' || nspowner::regrole || ' ' || coalesce(nspacl::text, '-') from pg_namespace "
                    + "where nspname = 'shop'",
            "select c.relname || ' ' || c.relowner::regrole || ' ' || coalesce(c.relacl::text, '-') from pg_class c "
                    + "join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'shop' order by 1",
            "select defaclrole::regrole || ' ' || defaclnamespace::regnamespace || ' ' || defaclobjtype::text || ' ' "
                    + "|| defaclacl::text from pg_default_acl order by 1");

    /** The backup worker's service as that function runs it: its own environment, its calls recorded for IAM. */
    private static BackupService backups(TestStack stack) {
        return BackupWorkerHandler.service(stack.wiringOf(BackupWorkerHandler.class));
    }

    /** The restore worker's service as that function runs it: its own environment, its calls recorded for IAM. */
    private static RestoreService restores(TestStack stack) {
        return RestoreWorkerHandler.service(stack.wiringOf(RestoreWorkerHandler.class));
    }
}
