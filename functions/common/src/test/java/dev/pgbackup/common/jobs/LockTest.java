package dev.pgbackup.common.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.storage.Records;
import dev.pgbackup.testsupport.InMemoryObjectStore;
import dev.pgbackup.testsupport.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** One job at a time: the lock's rules against an in-memory bucket (atomic conditional writes, as S3's). */
class LockTest {
    static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");
    static final String KEY = "pgbackup/locks/app-staging/restore.lock";
    static final Duration STALE = Duration.ofMinutes(22);

    /** The bucket's clock and the lock's agree: both are the clock the test moves. */
    final MutableClock clock = new MutableClock(T0);

    Lock lock(InMemoryObjectStore store, Instant now) {
        clock.set(now);
        return new Lock(new Records(store), KEY, STALE, clock);
    }

    @Test
    void theFirstTakesItTheSecondLearnsWhoHoldsIt() {
        InMemoryObjectStore store = new InMemoryObjectStore("b", clock);
        Lock.Outcome first = lock(store, T0).acquire("job-1", "alice", "a.dump");
        Lock.Outcome second = lock(store, T0).acquire("job-2", "bob", "b.dump");
        assertTrue(first.acquired());
        assertFalse(second.acquired());
        assertEquals("job-1", second.holder().jobId());
        assertEquals("a.dump", lock(store, T0).holder().orElseThrow().filename());
    }

    @Test
    void onlyTheHolderReleasesIt() {
        InMemoryObjectStore store = new InMemoryObjectStore("b", clock);
        lock(store, T0).acquire("job-1", "alice", "a.dump");
        assertFalse(lock(store, T0).release("job-2"));
        assertEquals("job-1", lock(store, T0).holder().orElseThrow().jobId());
        assertTrue(lock(store, T0).release("job-1"));
        assertTrue(lock(store, T0).holder().isEmpty());
        assertTrue(lock(store, T0).acquire("job-3", "carol", "c.dump").acquired());
    }

    @Test
    void aStaleLockIsTakenOverOnceAndAFreshOneNever() {
        InMemoryObjectStore store = new InMemoryObjectStore("b", clock);
        lock(store, T0).acquire("crashed", "alice", "a.dump");
        Instant justBefore = T0.plus(STALE).minusSeconds(1);
        assertFalse(lock(store, justBefore).acquire("job-2", "bob", "b.dump").acquired());
        Instant after = T0.plus(STALE).plusSeconds(1);
        Lock.Outcome takeover = lock(store, after).acquire("job-3", "carol", "c.dump");
        assertTrue(takeover.acquired());
        assertEquals("crashed", takeover.replacedStale().jobId());
        // the new holder's lock is fresh: a second taker at the same instant is refused
        Lock.Outcome again = lock(store, after).acquire("job-4", "dave", "d.dump");
        assertFalse(again.acquired());
        assertEquals("job-3", again.holder().jobId());
        assertNull(again.replacedStale());
    }

    @Test
    void anUnreadableLockStillBlocksUntilItIsStale() {
        InMemoryObjectStore store = new InMemoryObjectStore("b", clock);
        store.plant(KEY, "{not json", T0);
        Lock.Outcome blocked = lock(store, T0).acquire("job-1", "alice", "a.dump");
        assertFalse(blocked.acquired());
        assertEquals("unknown", blocked.holder().jobId());
        assertFalse(lock(store, T0).release("unknown"), "nobody can release a lock nobody can name");
        assertTrue(lock(store, T0.plus(STALE).plusSeconds(1)).acquire("job-2", "bob", "b.dump").acquired());
    }

    @Test
    void aJobThatRunsPastTheStalenessKeepsItsLockWhileItRenewsItAndADeadOneLosesIt() {
        InMemoryObjectStore store = new InMemoryObjectStore("b", clock);
        assertTrue(lock(store, T0).acquire("long-job", "alice", "a.dump").acquired());
        // the worker renews every minute, well past the staleness the lock had when it was taken
        Instant now = T0;
        for (int minute = 1; minute <= STALE.toMinutes() * 3; minute++) {
            now = T0.plus(Duration.ofMinutes(minute));
            assertTrue(lock(store, now).renew("long-job"), "renewal at minute " + minute);
        }
        Lock.Outcome second = lock(store, now.plusSeconds(30)).acquire("job-2", "bob", "b.dump");
        assertFalse(second.acquired(), "a running job's lock is not stale");
        assertEquals("long-job", second.holder().jobId());
        assertEquals(now, second.holder().renewedAt());

        // the worker dies: nothing renews the lock any more, and it goes stale a staleness after the last renewal
        Instant lastRenewal = now;
        assertFalse(
                lock(store, lastRenewal.plus(STALE).minusSeconds(1)).acquire("job-3", "carol", "c.dump").acquired());
        Lock.Outcome takeover = lock(store, lastRenewal.plus(STALE).plusSeconds(1)).acquire("job-4", "dave", "d.dump");
        assertTrue(takeover.acquired());
        assertEquals("long-job", takeover.replacedStale().jobId());
        // and the dead job, should it wake up, renews nothing
        assertFalse(lock(store, lastRenewal.plus(STALE).plusSeconds(2)).renew("long-job"));
        assertEquals("job-4", lock(store, lastRenewal.plus(STALE).plusSeconds(2)).holder().orElseThrow().jobId());
    }

    @Test
    void onlyTheHolderRenewsIt() {
        InMemoryObjectStore store = new InMemoryObjectStore("b", clock);
        assertFalse(lock(store, T0).renew("job-1"), "no lock, nothing to renew");
        lock(store, T0).acquire("job-1", "alice", "a.dump");
        assertFalse(lock(store, T0.plusSeconds(60)).renew("job-2"));
        assertNull(lock(store, T0).holder().orElseThrow().renewedAt());
        store.plant(KEY, "{not json", T0);
        assertFalse(lock(store, T0.plusSeconds(60)).renew("unknown"), "nobody can renew a lock nobody can name");
    }

    @Test
    void theHolderReleasesItEvenWhenItsOwnRenewalChangedItInBetween() {
        InMemoryObjectStore store = new InMemoryObjectStore("b", clock);
        lock(store, T0).acquire("job-1", "alice", "a.dump");
        // the heartbeat renews the lock just after the release read it
        store.onNextRead(KEY, () -> assertTrue(lock(store, T0.plusSeconds(60)).renew("job-1")));
        assertTrue(lock(store, T0.plusSeconds(60)).release("job-1"));
        assertTrue(lock(store, T0.plusSeconds(60)).holder().isEmpty());
    }
}
