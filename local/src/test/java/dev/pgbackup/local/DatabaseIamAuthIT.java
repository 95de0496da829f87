package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.testsupport.FakeTools;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.TestSecrets;
import dev.pgbackup.testsupport.TestStack;
import dev.pgbackup.testsupport.TlsPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * IAM database authentication as far as it can be run here: the workers sign a token for DB_USER with the
 * function's credentials (the tests' static ones) and use it as the password of every connection and tool,
 * over verify-full TLS. Nothing here can check a token (only RDS can): the server lets the IAM user in over TLS
 * without a password check, as RDS does with a valid token. What is checked is the token's shape, that it
 * reaches pg_dump through the environment and never its arguments, and that it appears in no record.
 */
class DatabaseIamAuthIT {
    static final String IAM_USER = "iam_app";
    static final String DB = "iam_source";
    static TlsPostgres tls;

    @BeforeAll
    static void start() {
        tls = TlsPostgres.start(List.of(IAM_USER));
        tls.admin("create role " + IAM_USER + " login createdb");
        tls.admin("create database " + DB + " owner " + IAM_USER);
        tls.execute(DB, "set role " + IAM_USER + "; create table ledger (id int primary key, v text);"
                + " insert into ledger select g, md5(g::text) from generate_series(1, 800) g");
    }

    @AfterAll
    static void stop() {
        if (tls != null) {
            tls.close();
        }
    }

    @Test
    void theTokenTravelsInTheEnvironmentOfEveryToolAndInNoRecord() throws Exception {
        // the tool records its arguments, its environment's names and the token without its signature
        Path tools = FakeTools.wrapping("pg_dump", """
                printf '%s\\n' "$@" > "$ROOT/argv"
                env | cut -d= -f1 | sort > "$ROOT/env-names"
                printf '%s' "$PGSSLMODE" > "$ROOT/sslmode"
                printf '%s' "${PGPASSWORD%%&X-Amz-Signature=*}" > "$ROOT/token-unsigned"
                [[ "$PGPASSWORD" =~ \\&X-Amz-Signature=[0-9a-f]{64}$ ]] && echo signed > "$ROOT/token-signature"
                exec "$REAL" "$@"
                """);
        // an RDS-managed secret: the master user's name and password only (the password is not used)
        String arn = TestSecrets.create("{\"username\":\"master\",\"password\":\"Master-Pa55-not-used\"}");
        String bucket = "iam-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        TestStack.createBucket(bucket);
        Map<String, String> settings = new java.util.HashMap<>(Map.of("DB_URL_PARAMETER", "",
                "DB_SECRET_ARN", arn, "DB_HOST", "localhost", "DB_PORT", Integer.toString(tls.port()), "DB_NAME", DB,
                "DB_IAM_AUTH", "true", "DB_USER", IAM_USER, "DB_CONNECTION_OPTIONS",
                "sslmode=verify-full&sslrootcert=" + tls.caCertificate, "PG_TOOLS_DIR", tools.toString(),
                "RESTORE_JOBS", "1"));
        // the instance's resource id: what rds-db:connect names (IamEvaluationIT judges the workers' connections)
        settings.put("DbResourceId", "db-TESTRESOURCE0");
        TestStack stack = TestStack.create("production", bucket, "postgres", settings, java.time.Clock.systemUTC(),
                MotoServer.get().endpoint());
        List<String> rows = tls.query(DB, "select id || ':' || v from ledger order by id");

        Map<String, Object> backup = DatabaseSecretIT.backup(stack);

        assertEquals("SUCCEEDED", backup.get("status"), String.valueOf(backup.get("message")));
        String unsigned = Files.readString(tools.resolve("token-unsigned"));
        java.util.regex.Matcher date = java.util.regex.Pattern.compile("&X-Amz-Date=(\\d{8})T\\d{6}Z")
                .matcher(unsigned);
        assertTrue(date.find(), unsigned);
        assertTrue(unsigned.startsWith("localhost:" + tls.port() + "/?DBUser=" + IAM_USER + "&Action=connect"
                + "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date="), unsigned);
        assertTrue(unsigned.contains("&X-Amz-Expires=900"), unsigned);
        // signed with the function's credentials (the tests' static key "test") for rds-db in its region
        assertTrue(
                unsigned.contains("&X-Amz-Credential=test%2F" + date.group(1) + "%2Fus-east-1%2Frds-db%2Faws4_request"),
                unsigned);
        assertEquals("signed\n", Files.readString(tools.resolve("token-signature")));
        List<String> argv = Files.readAllLines(tools.resolve("argv"));
        assertFalse(argv.isEmpty());
        assertTrue(argv.stream().noneMatch(a -> a.contains("X-Amz") || a.contains("Master-Pa55")), argv.toString());
        List<String> names = Files.readAllLines(tools.resolve("env-names"));
        assertTrue(names.contains("PGPASSWORD") && names.contains("PGSSLROOTCERT"), names.toString());
        assertEquals("verify-full", Files.readString(tools.resolve("sslmode")));
        assertTrue(names.stream().noneMatch(n -> n.startsWith("AWS_")), "no AWS credentials in the tool: " + names);
        assertFalse(stack.audit().contains("X-Amz-Signature"), stack.audit());
        assertFalse(stack.audit().contains("Master-Pa55"), stack.audit());

        tls.execute(DB, "set role " + IAM_USER + "; delete from ledger where id > 5");
        Map<String, Object> restore = DatabaseSecretIT.restore(stack, (String) backup.get("filename"));
        assertEquals("SUCCEEDED", restore.get("status"), String.valueOf(restore.get("message")));
        assertEquals(rows, tls.query(DB, "select id || ':' || v from ledger order by id"));
        DatabaseSecretIT.assertNoPassword(stack, List.of(backup, restore), "X-Amz-Signature", "Master-Pa55");
    }
}
