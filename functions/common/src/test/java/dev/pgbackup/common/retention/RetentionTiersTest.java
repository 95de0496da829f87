package dev.pgbackup.common.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.storage.BackupCatalog;
import dev.pgbackup.common.storage.BackupClass;
import dev.pgbackup.common.storage.BackupName;
import dev.pgbackup.common.storage.BackupObject;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Grandfather-father-son retention of scheduled backups: the tiers, their boundaries, the minimum, the classes. */
class RetentionTiersTest {
    static final ZoneId IST = ZoneId.of("Asia/Kolkata");
    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z"); // Saturday 17:30 IST, ISO week 2026-W48

    static Config.RetentionSettings tiers(int daily, int weekly, int monthly, int min) {
        return new Config.RetentionSettings(30, 10, Duration.ofDays(7), daily, weekly, monthly, min);
    }

    /** A backup taken at {@code local} (stack time), named as the worker names it, with that LastModified. */
    static BackupCatalog.Entry backup(BackupClass c, ZoneId zone, LocalDateTime local) {
        Instant when = local.atZone(zone).toInstant();
        String label = zone.equals(IST) ? "IST" : "UTC";
        BackupName name = BackupName.create("app", "production", zone, label, when);
        return new BackupCatalog.Entry(new BackupObject(name, when, 100, "\"e\""), c, true);
    }

    static BackupCatalog.Entry scheduled(String localTime) {
        return backup(BackupClass.SCHEDULED, IST, LocalDateTime.parse(localTime));
    }

    static BackupCatalog.Entry onDemand(String localTime) {
        return backup(BackupClass.ON_DEMAND, IST, LocalDateTime.parse(localTime));
    }

    static List<BackupCatalog.Entry> newestFirst(List<BackupCatalog.Entry> all) {
        List<BackupCatalog.Entry> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparing((BackupCatalog.Entry e) -> e.backup().lastModified()).reversed());
        return sorted;
    }

    static RetentionPolicy.Plan plan(Config.RetentionSettings settings, ZoneId zone, List<BackupCatalog.Entry> all,
            Instant now) {
        List<BackupCatalog.Entry> mine = newestFirst(all);
        return new RetentionPolicy(settings, zone).plan(mine, mine.get(0).backup().filename(), now);
    }

    /** The local times (as in the names) of the kept backups, newest first. */
    static List<String> keptTimes(RetentionPolicy.Plan plan) {
        return plan.kept().stream().map(k -> k.entry().backup().name().localTime().toString()).toList();
    }

    static Map<String, List<String>> reasonsByTime(RetentionPolicy.Plan plan) {
        return plan.kept().stream().collect(Collectors.toMap(
                k -> k.entry().backup().name().localTime().toString(), RetentionPolicy.Kept::reasons));
    }

    @Test
    void dailyKeepsTheNewestOfEachOfTheLastDaysTodayIncluded() {
        List<BackupCatalog.Entry> all = new ArrayList<>();
        for (int day = 19; day <= 28; day++) {
            all.add(scheduled("2026-11-" + day + "T02:00:00"));
            all.add(scheduled("2026-11-" + day + "T14:00:00"));
        }

        RetentionPolicy.Plan plan = plan(tiers(7, 0, 0, 0), IST, all, NOW);

        assertEquals(List.of("2026-11-28T14:00", "2026-11-27T14:00", "2026-11-26T14:00", "2026-11-25T14:00",
                "2026-11-24T14:00", "2026-11-23T14:00", "2026-11-22T14:00"), keptTimes(plan));
        assertEquals(13, plan.deleted().size());
        assertTrue(plan.deleted().stream().allMatch(d -> d.reason()
                .equals("scheduled: not the newest backup of any of the last 7 days")), plan.deleted().toString());
        assertEquals(List.of("daily: the newest of 2026-11-25 (one per day for 7 days)"),
                reasonsByTime(plan).get("2026-11-25T14:00"));
        assertEquals(List.of(RetentionPolicy.JUST_MADE, "daily: the newest of 2026-11-28 (one per day for 7 days)"),
                reasonsByTime(plan).get("2026-11-28T14:00"));
    }

    @Test
    void weeklySlotsAreIsoWeeksFromMondayEvenAcrossTheYearBoundary() {
        List<BackupCatalog.Entry> all = List.of(
                scheduled("2026-12-13T23:00:00"), // Sunday of W50: outside three weeks
                scheduled("2026-12-19T02:00:00"), // Saturday, W51
                scheduled("2026-12-20T23:59:00"), // Sunday, W51: its newest
                scheduled("2026-12-21T00:01:00"), // Monday, W52: its only one
                scheduled("2026-12-28T02:00:00"), // Monday, W53 of 2026
                scheduled("2027-01-03T02:00:00")); // Sunday, still 2026-W53: its newest
        Instant now = LocalDateTime.parse("2027-01-03T12:00:00").atZone(IST).toInstant();

        RetentionPolicy.Plan plan = plan(tiers(0, 3, 0, 0), IST, all, now);

        assertEquals(List.of("2027-01-03T02:00", "2026-12-21T00:01", "2026-12-20T23:59"), keptTimes(plan));
        assertEquals(List.of("weekly: the newest of week 2026-W51 (one per ISO week for 3 ISO weeks)"),
                reasonsByTime(plan).get("2026-12-20T23:59"));
        assertTrue(reasonsByTime(plan).get("2027-01-03T02:00")
                .contains("weekly: the newest of week 2026-W53 (one per ISO week for 3 ISO weeks)"));
        assertEquals("scheduled: not the newest backup of any of the last 3 ISO weeks",
                plan.deleted().get(0).reason());
    }

    @Test
    void monthlySlotsAreCalendarMonthsAcrossTheYearBoundary() {
        List<BackupCatalog.Entry> all = List.of(
                scheduled("2026-10-31T23:00:00"),
                scheduled("2026-11-01T02:00:00"),
                scheduled("2026-11-30T23:59:59"),
                scheduled("2026-12-31T23:30:00"),
                scheduled("2027-01-01T00:30:00"),
                scheduled("2027-01-10T02:00:00"));
        Instant now = LocalDateTime.parse("2027-01-15T09:00:00").atZone(IST).toInstant();

        RetentionPolicy.Plan plan = plan(tiers(0, 0, 3, 0), IST, all, now);

        assertEquals(List.of("2027-01-10T02:00", "2026-12-31T23:30", "2026-11-30T23:59:59"), keptTimes(plan));
        assertEquals(List.of("monthly: the newest of 2026-12 (one per month for 3 months)"),
                reasonsByTime(plan).get("2026-12-31T23:30"));
        assertEquals(3, plan.deleted().size());
    }

    @Test
    void daysAreCountedInTheStacksTimeZone() {
        // 23:50 and 00:10 in India are one UTC day (the 27th): two days in IST, one in UTC
        Instant late = Instant.parse("2026-11-27T18:20:00Z");
        Instant early = Instant.parse("2026-11-27T18:40:00Z");
        Instant now = Instant.parse("2026-11-28T06:00:00Z");
        Function<ZoneId, RetentionPolicy.Plan> run = zone -> plan(tiers(2, 0, 0, 0), zone, List.of(
                backup(BackupClass.SCHEDULED, zone, LocalDateTime.ofInstant(late, zone)),
                backup(BackupClass.SCHEDULED, zone, LocalDateTime.ofInstant(early, zone))), now);

        assertEquals(List.of("2026-11-28T00:10", "2026-11-27T23:50"), keptTimes(run.apply(IST)));
        RetentionPolicy.Plan utc = run.apply(ZoneOffset.UTC);
        assertEquals(List.of("2026-11-27T18:40"), keptTimes(utc));
        assertEquals("2026-11-27T18:20", utc.deleted().get(0).entry().backup().name().localTime().toString());
    }

    @Test
    void grandfatherFatherSonOverAYearOfNightlyBackups() {
        List<BackupCatalog.Entry> all = new ArrayList<>();
        for (LocalDate d = LocalDate.parse("2025-11-01"); !d.isAfter(LocalDate.parse("2026-11-28")); d = d
                .plusDays(1)) {
            all.add(scheduled(d + "T02:00:00"));
        }

        RetentionPolicy.Plan plan = plan(tiers(7, 4, 12, 3), IST, all, NOW);

        List<String> days = plan.kept().stream()
                .map(k -> k.entry().backup().name().localTime().toLocalDate().toString())
                .toList();
        assertEquals(List.of("2026-11-28", "2026-11-27", "2026-11-26", "2026-11-25", "2026-11-24", "2026-11-23",
                "2026-11-22", "2026-11-15", "2026-11-08", "2026-10-31", "2026-09-30", "2026-08-31", "2026-07-31",
                "2026-06-30", "2026-05-31", "2026-04-30", "2026-03-31", "2026-02-28", "2026-01-31", "2025-12-31"),
                days);
        assertEquals(all.size() - 20, plan.deleted().size());
        assertTrue(plan.deleted().stream().allMatch(d -> d.reason().equals("scheduled: not the newest backup of any of "
                + "the last 7 days, 4 ISO weeks or 12 months, nor one of the newest 3")),
                plan.deleted().get(0).reason());
        assertEquals(List.of(RetentionPolicy.JUST_MADE, "daily: the newest of 2026-11-28 (one per day for 7 days)",
                "weekly: the newest of week 2026-W48 (one per ISO week for 4 ISO weeks)",
                "monthly: the newest of 2026-11 (one per month for 12 months)",
                "minimum: one of the newest 3 scheduled backups"), plan.kept().get(0).reasons());
        assertEquals(List.of("daily: the newest of 2026-11-22 (one per day for 7 days)",
                "weekly: the newest of week 2026-W47 (one per ISO week for 4 ISO weeks)"),
                plan.kept().get(6).reasons());
    }

    @Test
    void theMinimumKeepsTheNewestScheduledBackupsWhenTheScheduleStopped() {
        List<BackupCatalog.Entry> all = new ArrayList<>();
        for (int day = 1; day <= 6; day++) {
            all.add(scheduled("2026-08-0" + day + "T02:00:00")); // the schedule stopped in August
        }
        all.add(onDemand("2026-11-28T10:00:00")); // this run's backup

        RetentionPolicy.Plan plan = plan(tiers(7, 4, 0, 3), IST, all, NOW);
        assertEquals(List.of("2026-11-28T10:00", "2026-08-06T02:00", "2026-08-05T02:00", "2026-08-04T02:00"),
                keptTimes(plan));
        assertEquals(List.of("minimum: one of the newest 3 scheduled backups"), plan.kept().get(1).reasons());

        RetentionPolicy.Plan withoutMinimum = plan(tiers(7, 4, 0, 0), IST, all, NOW);
        assertEquals(List.of("2026-11-28T10:00"), keptTimes(withoutMinimum), "age alone empties the history");
        assertEquals("scheduled: not the newest backup of any of the last 7 days or 4 ISO weeks",
                withoutMinimum.deleted().get(0).reason());
    }

    @Test
    void onDemandBackupsNeitherFillNorEmptyATierSlot() {
        List<BackupCatalog.Entry> all = new ArrayList<>();
        all.add(scheduled("2026-11-28T02:00:00"));
        for (int i = 0; i < 12; i++) {
            all.add(onDemand(String.format("2026-11-28T%02d:00:00", 3 + i))); // all newer than the nightly one
        }
        all.add(onDemand("2026-11-20T09:00:00")); // the only one of its day: no daily slot keeps it

        RetentionPolicy.Plan plan = plan(tiers(7, 0, 0, 0), IST, all, NOW);

        assertEquals(List.of("daily: the newest of 2026-11-28 (one per day for 7 days)"),
                reasonsByTime(plan).get("2026-11-28T02:00"), "the scheduled backup is still its day's newest");
        Map<String, String> deleted = plan.deleted().stream().collect(Collectors.toMap(
                d -> d.entry().backup().name().localTime().toString(), RetentionPolicy.Deletion::reason));
        assertEquals(Map.of("2026-11-28T04:00", "on-demand: older than the newest 10",
                "2026-11-28T03:00", "on-demand: older than the newest 10",
                "2026-11-20T09:00", "on-demand: older than the newest 10"), deleted);
        assertTrue(plan.kept().stream().filter(k -> k.entry().backupClass() == BackupClass.ON_DEMAND)
                .allMatch(k -> k.reasons().stream().noneMatch(r -> r.startsWith("daily"))));

        // and the other way round: scheduled backups never count against the on-demand ones
        List<BackupCatalog.Entry> fewOnDemand = new ArrayList<>(all.subList(0, 3));
        for (int day = 1; day <= 20; day++) {
            fewOnDemand.add(scheduled(String.format("2026-11-%02dT01:00:00", day)));
        }
        RetentionPolicy.Plan mixed = plan(tiers(7, 0, 0, 0), IST, fewOnDemand, NOW);
        assertTrue(mixed.deleted().stream().allMatch(d -> d.entry().backupClass() == BackupClass.SCHEDULED));
        assertEquals(2, mixed.kept().stream().filter(k -> k.entry().backupClass() == BackupClass.ON_DEMAND).count());
    }

    @Test
    void theNewBackupIsNeverDeletedByItsOwnRun() {
        // its name is days old (a job queued long, or a clock that was wrong): no tier keeps it, its run does
        BackupCatalog.Entry stale = scheduled("2026-11-20T02:00:00");
        List<BackupCatalog.Entry> mine = List.of(scheduled("2026-11-28T02:00:00"), stale);

        RetentionPolicy.Plan plan = new RetentionPolicy(tiers(1, 0, 0, 0), IST).plan(mine,
                stale.backup().filename(), NOW);

        assertEquals(List.of(), plan.deleted());
        assertEquals(List.of(RetentionPolicy.JUST_MADE), plan.kept().get(1).reasons());
        assertEquals(1, new RetentionPolicy(tiers(1, 0, 0, 0), IST).plan(mine, null, NOW).deleted().size(),
                "a dry run has no new backup to spare");
    }

    @Test
    void aListingWithoutTheNewBackupDeletesNothingAndSaysWhy() {
        List<BackupCatalog.Entry> mine = newestFirst(List.of(scheduled("2026-01-01T02:00:00"),
                scheduled("2026-02-01T02:00:00")));

        RetentionPolicy.Plan plan = new RetentionPolicy(tiers(1, 0, 0, 0), IST).plan(mine,
                "app-production-on-2026-11-28-at-02-00-00-AM-IST.dump", NOW);

        assertEquals(List.of(), plan.deleted());
        assertTrue(plan.kept().stream().allMatch(k -> k.reasons().equals(List.of(RetentionPolicy.LAGGING))));
    }

    @Test
    void withEveryTierOffTheNewestNRuleAppliesAsBeforeAndTheMinimumIsNotUsed() {
        List<BackupCatalog.Entry> all = new ArrayList<>();
        for (int day = 1; day <= 6; day++) {
            all.add(scheduled("2026-11-0" + day + "T02:00:00"));
        }

        RetentionPolicy.Plan plan = plan(new Config.RetentionSettings(3, 10, Duration.ofDays(7), 0, 0, 0, 5), IST, all,
                NOW);

        assertEquals(List.of("2026-11-06T02:00", "2026-11-05T02:00", "2026-11-04T02:00"), keptTimes(plan));
        assertTrue(plan.deleted().stream().allMatch(d -> d.reason().equals("scheduled: older than the newest 3")));
        assertEquals(List.of("scheduled: one of the newest 3"), plan.kept().get(1).reasons());
    }
}
