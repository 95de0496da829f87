package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.storage.StateKeys;
import dev.pgbackup.testsupport.InMemoryObjectStore;
import dev.pgbackup.testsupport.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The free-space rule on numbers, and the journal of created databases under concurrent writers. */
class ServerSpaceRulesTest {
    static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");

    @Test
    void oneMoreCopyMustFitWithItsMargin() {
        List<String> notes = new ArrayList<>();
        FreeStorage.Reading tight = FreeStorage.Reading.of(11_999_999_999L, "CloudWatch");
        Optional<String> refused = FreeStorage.refusal(tight, 10_000_000_000L, 20, notes);
        assertTrue(refused.orElseThrow().startsWith("the database server has 12.00 GB free (CloudWatch), less than "
                + "the 12.00 GB one more copy needs"), refused.get());

        assertEquals(Optional.empty(), FreeStorage.refusal(FreeStorage.Reading.of(12_000_000_000L, "CloudWatch"),
                10_000_000_000L, 20, notes));
        assertEquals(List.of("free space checked: 12.00 GB free, 12.00 GB needed (CloudWatch)"), notes);
    }

    @Test
    void whatIsNotKnownIsSaidNotGuessed() {
        List<String> notes = new ArrayList<>();
        assertEquals(Optional.empty(), FreeStorage.refusal(FreeStorage.Reading.unknown("no instance"), 1L, 20, notes));
        assertEquals(Optional.empty(), FreeStorage.refusal(FreeStorage.Reading.of(1, "CloudWatch"), null, 20, notes));
        assertEquals(List.of("free space not checked: no instance", "free space not checked: the backup did not record "
                + "its database's size (written before 2026-12)"), notes);
    }

    @Test
    void theJournalKeepsEveryEntryOfWritersThatRaceAndForgetsByNameAndOid() throws Exception {
        InMemoryObjectStore objects = new InMemoryObjectStore();
        StateKeys keys = new StateKeys("pharmatracker", "staging");
        MutableClock clock = new MutableClock(T0);
        CreatedDatabases journal = new CreatedDatabases(objects, keys, clock);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> writers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int n = i;
            writers.add(pool.submit(() -> {
                start.await();
                return journal.add("db_drill_" + n, 1000 + n, CreatedDatabases.Kind.DRILL, "server/db", "job" + n);
            }));
        }
        start.countDown();
        for (Future<?> w : writers) {
            w.get();
        }
        pool.shutdown();
        assertEquals(8, journal.all().size(), "no writer's entry lost to another's");

        journal.remove("db_drill_3", 9999);
        assertEquals(8, journal.all().size(), "the same name under another OID is another database");
        journal.remove("db_drill_3", 1003);
        assertEquals(7, journal.all().size());
    }

    @Test
    void entriesOfATargetAreNewestFirst() {
        InMemoryObjectStore objects = new InMemoryObjectStore();
        MutableClock clock = new MutableClock(T0);
        CreatedDatabases journal = new CreatedDatabases(objects, new StateKeys("pharmatracker", "staging"), clock);
        journal.add("app_pre_restore_1", 1, CreatedDatabases.Kind.PRE_RESTORE, "app", "j1");
        clock.advance(Duration.ofHours(1));
        journal.add("app_pre_restore_2", 2, CreatedDatabases.Kind.PRE_RESTORE, "app", "j2");
        journal.add("other_pre_restore_1", 3, CreatedDatabases.Kind.PRE_RESTORE, "other", "j3");
        journal.add("app_restore_1", 4, CreatedDatabases.Kind.RESTORING, "app", "j3");

        assertEquals(List.of("app_pre_restore_2", "app_pre_restore_1"), journal.of(CreatedDatabases.Kind.PRE_RESTORE,
                "app").stream().map(CreatedDatabases.Entry::name).toList());
    }
}
