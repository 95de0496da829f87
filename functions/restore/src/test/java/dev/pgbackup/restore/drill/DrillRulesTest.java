package dev.pgbackup.restore.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.restore.DatabaseNames;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DrillRulesTest {
    static final Instant T0 = Instant.parse("2026-11-29T03:00:00Z");

    static BackupCatalog.Entry entry(String environment, Instant named, Instant written) {
        BackupName name = BackupName.create("pharmatracker", environment, ZoneId.of("Asia/Kolkata"), "IST", named);
        return new BackupCatalog.Entry(new BackupObject(name, written, 100, "etag"), BackupClass.SCHEDULED, true);
    }

    @Test
    void theNewestBackupOfThisEnvironmentIsDrilled() {
        BackupCatalog.Entry older = entry("staging", T0.minusSeconds(7200), T0.minusSeconds(7200));
        BackupCatalog.Entry newest = entry("staging", T0.minusSeconds(60), T0.minusSeconds(60));
        BackupCatalog.Entry production = entry("production", T0, T0);

        assertEquals(Optional.of(newest), DrillRules.newest(List.of(older, production, newest), "staging"));
        assertEquals(Optional.empty(), DrillRules.newest(List.of(production), "staging"));
        assertEquals(Optional.empty(), DrillRules.newest(List.of(), "staging"));
    }

    @Test
    void aTieInS3sTimeGoesToTheTimeInTheNameNotToTheNamesSpelling() {
        // 12:59 PM sorts after 01:00 PM as text; by time it is the earlier one
        Instant written = T0;
        BackupCatalog.Entry noon = entry("staging", Instant.parse("2026-11-29T07:29:00Z"), written);
        BackupCatalog.Entry one = entry("staging", Instant.parse("2026-11-29T07:30:00Z"), written);
        assertTrue(noon.backup().filename().compareTo(one.backup().filename()) > 0, "the names sort the other way");

        assertEquals(Optional.of(one), DrillRules.newest(List.of(one, noon), "staging"));
    }

    static final String LIST = String.join("\n",
            ";",
            "; Archive created at 2026-11-28 15:01:57 UTC",
            ";     dbname: exp",
            "; Selected TOC Entries:",
            ";",
            "7; 2615 16388 SCHEMA - My Schema postgres",
            "2; 3079 16407 EXTENSION - pg_stat_statements ",
            "217; 1259 16389 TABLE My Schema t1 postgres",
            "218; 1259 16394 TABLE public meas postgres",
            "219; 1259 16397 TABLE public meas_2024 postgres",
            "221; 1259 16403 MATERIALIZED VIEW public mv postgres",
            "216; 1259 16385 TABLE public odd name postgres",
            "222; 1259 16410 FOREIGN TABLE public remote postgres",
            ";223; 1259 16420 TABLE public excluded postgres",
            "3229; 0 0 TABLE ATTACH public meas_2024 postgres",
            "3376; 0 16389 TABLE DATA My Schema t1 postgres",
            "3377; 0 16397 TABLE DATA public meas_2024 postgres",
            "3379; 0 16403 MATERIALIZED VIEW DATA public mv postgres",
            "");

    @Test
    void theTablesOfATableOfContentsAreItsTableEntriesOnly() {
        assertEquals(List.of("My Schema t1 postgres", "public meas postgres", "public meas_2024 postgres",
                "public odd name postgres"), DrillRules.tocTables(LIST));
    }

    @Test
    void aTableIsMissingOnlyWhenNoRestoredTableHasItsSchemaAndName() {
        List<String> toc = DrillRules.tocTables(LIST);
        Set<String> all = Set.of("My Schema t1", "public meas", "public meas_2024", "public odd name");

        assertEquals(List.of(), DrillRules.missing(toc, all));
        assertEquals(List.of("My Schema t1", "public odd name"), DrillRules.missing(toc,
                Set.of("public meas", "public meas_2024", "public odd", "My Schema t10")));
        assertEquals(List.of("x"), DrillRules.missing(List.of("x"), Set.of()), "an entry without an owner");
    }

    @Test
    void rowCountsMustEqualTheRecordedOnesTableByTable() {
        Map<String, Long> recorded = new LinkedHashMap<>(Map.of("public.orders", 300L, "public.customers", 200L));

        assertEquals(List.of(), DrillRules.countDifferences(recorded, Map.of("public.orders", 300L,
                "public.customers", 200L, "public.not_counted", 9L)),
                "a table the backup did not count is not compared");
        assertEquals(List.of("public.customers is missing (the backup recorded 200 rows)",
                "public.orders has 0 rows, the backup recorded 300"),
                DrillRules.countDifferences(recorded, Map.of("public.orders", 0L)));
        assertEquals(List.of(), DrillRules.countDifferences(Map.of(), Map.of("public.orders", 1L)));
    }

    @Test
    void aMessageNamesFiveThenCountsTheRest() {
        assertEquals("a, b", DrillRules.named(List.of("a", "b")));
        assertEquals("a, b, c, d, e", DrillRules.named(List.of("a", "b", "c", "d", "e")));
        assertEquals("a, b, c, d, e and 2 more", DrillRules.named(List.of("a", "b", "c", "d", "e", "f", "g")));
    }

    @Test
    void onlyScratchDatabasesOlderThanTheDrillLocksStalenessAreAbandoned() {
        Duration stale = Duration.ofMinutes(22);
        Map<String, Instant> scratches = Map.of(
                "db_drill_a", T0.minus(Duration.ofMinutes(23)),
                "db_drill_b", T0.minus(Duration.ofMinutes(21)),
                "db_drill_c", T0.minus(Duration.ofDays(30)));

        assertEquals(List.of("db_drill_a", "db_drill_c"), DrillRules.abandoned(scratches, T0, stale));
    }

    @Test
    void scratchNamesAreUniqueBesideTheirBase() {
        DatabaseNames names = new DatabaseNames("pharmatracker");
        Set<String> existing = Set.of("pharmatracker_drill_20261129_030000");

        String scratch = names.drill(T0, existing::contains);

        assertEquals("pharmatracker_drill_20261129_030000_2", scratch);
        String longName = "x".repeat(DatabaseNames.MAX_BYTES);
        String longScratch = new DatabaseNames(longName).drill(T0, n -> false);
        assertTrue(longScratch.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= DatabaseNames.MAX_BYTES,
                longScratch);
    }

    @Test
    void durationsReadAsSecondsWithOneDecimal() {
        assertEquals("3.4 s", DrillRules.seconds(3400));
        assertEquals("0.0 s", DrillRules.seconds(12));
        assertEquals("125.0 s", DrillRules.seconds(125_000));
    }
}
