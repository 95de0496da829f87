package dev.pgbackup.common.worker;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a job type is, as the worker shell asks it: how its failures name it and which of the shell's optional steps
 * it takes. A policy states them in one line, e.g. {@code JobTraits.of("Backup", RENEWS_LOCK, ANNOUNCES,
 * COUNTS_REFUSALS)}.
 *
 * @param what how an unexpected fault's message names the job: "Backup", "Restore", "Restore drill"
 * @param renewsLock whether the job's lock is renewed while it runs; without it the lock's own staleness must
 *     outlast the job
 * @param announces whether the job's outcome is announced as an event (drills: no, their alarm is the drill
 *     watch's)
 * @param recordsErrors whether an {@link Error} (out of memory, a broken class) is recorded FAILED, lock released,
 *     before it goes on; otherwise the record stays RUNNING until the job store reports it dead and the lock goes
 *     stale
 * @param countsRefusals whether a job refused before it ran ({@link JobShell#refuse}) writes the type's metric
 */
public record JobTraits(String what, boolean renewsLock, boolean announces, boolean recordsErrors,
        boolean countsRefusals) {
    /** The shell's optional steps, named for {@link #of}. */
    public enum Trait {
        RENEWS_LOCK, ANNOUNCES, RECORDS_ERRORS, COUNTS_REFUSALS
    }

    /** A job type named {@code what} that takes the steps listed, and none other. */
    public static JobTraits of(String what, Trait... traits) {
        Set<Trait> set = traits.length == 0 ? EnumSet.noneOf(Trait.class) : EnumSet.copyOf(List.of(traits));
        return new JobTraits(what, set.contains(Trait.RENEWS_LOCK), set.contains(Trait.ANNOUNCES),
                set.contains(Trait.RECORDS_ERRORS), set.contains(Trait.COUNTS_REFUSALS));
    }
}
