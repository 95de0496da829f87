package dev.pgbackup.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.Json;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What pg_dump includes: checked at start-up, one argument per entry, and described for the records. */
class DumpScopeTest {
    static String problems(Map<String, String> env) {
        return assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage();
    }

    @Test
    void byDefaultTheWholeDatabase() {
        DumpScope scope = Config.from(ConfigTest.minimal()).dumpScope();
        assertTrue(scope.everything());
        assertEquals(List.of(), scope.pgDumpArguments(List.of("public", "audit")));
        assertTrue(scope.includesAnyOf(List.of()));
        assertEquals(Optional.empty(), scope.leftOut());
        assertEquals("the whole database", scope.describe());
    }

    @Test
    void eachEntryBecomesItsOwnArgument() {
        Map<String, String> env = ConfigTest.minimal();
        env.put("BACKUP_INCLUDE_SCHEMAS", "public, app_*");
        env.put("BACKUP_EXCLUDE_SCHEMAS", "audit");
        env.put("BACKUP_EXCLUDE_TABLE_DATA", "public.events,logs_20??, public.events");
        DumpScope scope = Config.from(env).dumpScope();
        // included schemas are dumped by leaving out every other one, each by its exact (quoted) name
        assertEquals(List.of("--exclude-schema=\"Billing\"", "--exclude-schema=\"apps\"", "--exclude-schema=\"audit\"",
                "--exclude-schema=\"we\"\"ird\"", "--exclude-schema=audit", "--exclude-table-data=public.events",
                "--exclude-table-data=logs_20??"),
                scope.pgDumpArguments(List.of("public", "audit", "app_a", "app_", "apps", "Billing", "we\"ird")));
        assertTrue(scope.includesAnyOf(List.of("audit", "app_x")));
        assertFalse(scope.includesAnyOf(List.of("audit", "apps")));
        assertEquals("only schemas public, app_*; without schemas audit; without the data of tables public.events, "
                + "logs_20??", scope.describe());
        assertEquals(Optional.of("this backup left out: schemas other than public, app_*; schemas audit; the data of "
                + "tables public.events, logs_20??"), scope.leftOut());
    }

    @Test
    void theLeftOutSentenceOfTheIssue() {
        DumpScope scope = new DumpScope(List.of(), List.of("audit"), List.of("public.events"));
        assertEquals(Optional.of("this backup left out: schemas audit; the data of tables public.events"),
                scope.leftOut());
    }

    @Test
    void questionMarkIsOneCharacterAndEverythingElseIsLiteral() {
        DumpScope scope = new DumpScope(List.of("s?", "a$b"), List.of(), List.of());
        assertEquals(List.of("--exclude-schema=\"s12\"", "--exclude-schema=\"saa\""),
                scope.pgDumpArguments(List.of("s1", "s12", "a$b", "saa", "sa")));
    }

    @Test
    void anythingAShellOrPgDumpCouldReadAsMoreIsRefused() {
        for (String bad : new String[] {"public; drop schema x", "--file=/tmp/x", "\"Quoted\"", "a b", "x,,y", "../x",
                "a.b.c", "$(id)", "a'b"}) {
            Map<String, String> env = ConfigTest.minimal();
            env.put("BACKUP_EXCLUDE_TABLE_DATA", bad);
            String message = problems(env);
            assertTrue(
                    message.contains("Environment variable BACKUP_EXCLUDE_TABLE_DATA must be comma-separated entries"),
                    bad + ": " + message);
        }
        Map<String, String> env = ConfigTest.minimal();
        env.put("BACKUP_INCLUDE_SCHEMAS", "public.orders");
        assertTrue(problems(env).contains("Environment variable BACKUP_INCLUDE_SCHEMAS must be"), problems(env));
    }

    @Test
    void upperCaseIsRefusedSayingWhy() {
        Map<String, String> env = ConfigTest.minimal();
        env.put("BACKUP_EXCLUDE_SCHEMAS", "Audit");
        String message = problems(env);
        assertTrue(message.contains("Environment variable BACKUP_EXCLUDE_SCHEMAS"), message);
        assertTrue(message.contains("pg_dump folds unquoted names to lower case"), message);
    }

    @Test
    void aSchemaIsEitherIncludedOrLeftOut() {
        Map<String, String> env = ConfigTest.minimal();
        env.put("BACKUP_INCLUDE_SCHEMAS", "public,audit");
        env.put("BACKUP_EXCLUDE_SCHEMAS", "audit");
        assertTrue(
                problems(env).contains("Environment variables BACKUP_INCLUDE_SCHEMAS and BACKUP_EXCLUDE_SCHEMAS both "
                        + "name audit"),
                problems(env));
        // a pattern and a narrower exclusion are pg_dump's documented combination
        env.put("BACKUP_INCLUDE_SCHEMAS", "app_*");
        env.put("BACKUP_EXCLUDE_SCHEMAS", "app_audit");
        DumpScope scope = Config.from(env).dumpScope();
        assertEquals(List.of("--exclude-schema=\"public\"", "--exclude-schema=app_audit"),
                scope.pgDumpArguments(List.of("public", "app_main", "app_audit")));
    }

    @Test
    void atMostFiftyEntries() {
        Map<String, String> env = ConfigTest.minimal();
        env.put("BACKUP_EXCLUDE_SCHEMAS", String.join(",", java.util.stream.IntStream.range(0, 51)
                .mapToObj(i -> "s" + i).toList()));
        assertTrue(problems(env).contains("BACKUP_EXCLUDE_SCHEMAS names at most 50 entries"), problems(env));
    }

    @Test
    void theManifestCarriesTheScopeAndOldManifestsReadWithout() throws Exception {
        DumpScope scope = new DumpScope(List.of(), List.of("audit"), List.of("public.events"));
        String json = Json.MAPPER.writeValueAsString(scope);
        assertEquals("{\"excludeSchemas\":[\"audit\"],\"excludeTableData\":[\"public.events\"]}", json);
        assertEquals(scope, Json.MAPPER.readValue(json, DumpScope.class));
        dev.pgbackup.common.storage.Manifest manifest = new dev.pgbackup.common.storage.Manifest("f.dump", "staging",
                dev.pgbackup.common.storage.BackupClass.SCHEDULED, "job", java.time.Instant.EPOCH,
                java.time.Instant.EPOCH,
                10, "abc", "16.4", "15.19", "zstd:1", null).withScope(scope);
        dev.pgbackup.common.storage.Manifest read = Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(manifest),
                dev.pgbackup.common.storage.Manifest.class);
        assertEquals(manifest, read);
        assertEquals(Optional.of("this backup left out: schemas audit; the data of tables public.events"),
                read.leftOut());
        String older = Json.MAPPER.writeValueAsString(manifest).replaceAll(",\"scope\":\\{[^}]*}", "");
        assertFalse(older.contains("scope"), older);
        assertEquals(Optional.empty(),
                Json.MAPPER.readValue(older, dev.pgbackup.common.storage.Manifest.class).leftOut());
    }
}
