package dev.pgbackup.common.retention;

import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.storage.BackupCatalog;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.IsoFields;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Grandfather-father-son retention of scheduled backups: the newest backup of each of the last D days, of each of
 * the last W ISO weeks (Monday to Sunday) and of each of the last M calendar months, counted in the stack's time
 * zone and including the current day, week and month; plus the newest K whatever their age, so a schedule that
 * stopped for a while never lets age empty the history. A backup's time is the one in its name (when it was
 * taken, in the stack's zone), not the object's LastModified, which a copy of the object would reset.
 */
final class RetentionTiers {
    /** One tier: how a date maps to its slot (the slot's first day), the window, and how a slot is named. */
    private record Tier(String name, int count, UnaryOperator<LocalDate> slotOf, UnaryOperator<LocalDate> back,
            Function<LocalDate, String> label, String unit) {}

    private final Config.RetentionSettings settings;
    private final ZoneId zone;

    RetentionTiers(Config.RetentionSettings settings, ZoneId zone) {
        this.settings = settings;
        this.zone = zone;
    }

    private List<Tier> tiers() {
        List<Tier> tiers = new ArrayList<>();
        if (settings.dailyDays() > 0) {
            tiers.add(new Tier("daily", settings.dailyDays(), d -> d, d -> d.minusDays(settings.dailyDays() - 1L),
                    LocalDate::toString, settings.dailyDays() == 1 ? "day" : "days"));
        }
        if (settings.weeklyWeeks() > 0) {
            tiers.add(new Tier("weekly", settings.weeklyWeeks(),
                    d -> d.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)),
                    d -> d.minusWeeks(settings.weeklyWeeks() - 1L),
                    d -> String.format("week %d-W%02d", d.get(IsoFields.WEEK_BASED_YEAR),
                            d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR)),
                    settings.weeklyWeeks() == 1 ? "ISO week" : "ISO weeks"));
        }
        if (settings.monthlyMonths() > 0) {
            tiers.add(new Tier("monthly", settings.monthlyMonths(), d -> d.withDayOfMonth(1),
                    d -> d.minusMonths(settings.monthlyMonths() - 1L),
                    d -> d.toString().substring(0, 7), settings.monthlyMonths() == 1 ? "month" : "months"));
        }
        return tiers;
    }

    /**
     * Adds a reason to every scheduled backup a tier or the minimum keeps, and dooms the others.
     *
     * @param scheduled this environment's scheduled backups (any order)
     */
    void decide(List<BackupCatalog.Entry> scheduled, Instant now, Map<BackupCatalog.Entry, List<String>> reasons,
            Map<BackupCatalog.Entry, String> doomed) {
        List<BackupCatalog.Entry> newestFirst = new ArrayList<>(scheduled);
        newestFirst.sort(Comparator.comparing((BackupCatalog.Entry e) -> taken(e))
                .thenComparing(e -> e.backup().lastModified()).reversed());
        LocalDate today = now.atZone(zone).toLocalDate();
        List<Tier> tiers = tiers();
        for (Tier tier : tiers) {
            LocalDate oldestSlot = tier.back().apply(tier.slotOf().apply(today));
            Set<LocalDate> filled = new HashSet<>();
            for (BackupCatalog.Entry e : newestFirst) {
                LocalDate slot = tier.slotOf().apply(taken(e).toLocalDate());
                if (!slot.isBefore(oldestSlot) && filled.add(slot)) {
                    reasons.get(e).add(tier.name() + ": the newest of " + tier.label().apply(slot) + " (one per "
                            + tier.unit().replaceFirst("s$", "") + " for " + tier.count() + " " + tier.unit() + ")");
                }
            }
        }
        String deletion = deletionReason(tiers);
        for (int i = 0; i < newestFirst.size(); i++) {
            BackupCatalog.Entry e = newestFirst.get(i);
            if (i < settings.minCount()) {
                reasons.get(e).add("minimum: one of the newest " + settings.minCount() + " scheduled backups");
            } else {
                doomed.put(e, deletion);
            }
        }
    }

    /** For example "scheduled: not the newest backup of any of the last 7 days, 4 ISO weeks or 12 months, nor ...". */
    private String deletionReason(List<Tier> tiers) {
        List<String> windows = tiers.stream().map(t -> t.count() + " " + t.unit()).toList();
        String joined = windows.size() == 1 ? windows.get(0)
                : String.join(", ", windows.subList(0, windows.size() - 1)) + " or " + windows.get(windows.size() - 1);
        return "scheduled: not the newest backup of any of the last " + joined
                + (settings.minCount() > 0 ? ", nor one of the newest " + settings.minCount() : "");
    }

    /** When the backup was taken, in the stack's zone: the time its name carries. */
    private static LocalDateTime taken(BackupCatalog.Entry e) {
        return e.backup().name().localTime();
    }
}
