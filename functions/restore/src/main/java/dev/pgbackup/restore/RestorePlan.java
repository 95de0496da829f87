package dev.pgbackup.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Streamed or parallel, chosen by what parallel buys. A streamed restore reads S3 straight into one
 * {@code pg_restore --single-transaction}: nothing waits for a download. A parallel one downloads the archive first
 * and runs {@code pg_restore --jobs}, which pays only when the table of contents holds enough independent work for
 * every job (several tables' data, their indexes and constraints): one big table is loaded by one job however many
 * there are. So by default (RESTORE_JOBS=0, one job per vCPU) parallel needs two or more vCPUs, at least
 * {@link #TABLES_PER_JOB} TABLE DATA entries and {@link #WORK_PER_JOB} independent entries per job, and room on the
 * worker's disk. However small the tables: pg_restore --jobs commits every entry on its own, but into a new database
 * whose commits do not wait for their flush ({@link Fill#intoNew}), and each job's round trips to the server overlap
 * the other's. On 2,000 tables of 3 rows two jobs took as long as one transaction over loopback and 0.81x its time
 * at 0.83-0.89 ms a round trip (docs/benchmarks.md, "Shapes at a network's distance"). RESTORE_JOBS=1 always
 * streams; RESTORE_JOBS=N (2 or more) is the operator's choice of N jobs whatever the table of contents holds, if the
 * archive fits the disk.
 */
final class RestorePlan {
    static final int TABLES_PER_JOB = 2;
    static final int WORK_PER_JOB = 4;
    /** Room kept free on the worker's disk beside a downloaded archive. */
    static final long DISK_MARGIN = 256L * 1024 * 1024;

    /** How many pg_restore jobs (1: streamed), and why, for the job's details. */
    record Choice(int jobs, String reason) {
        boolean parallel() {
            return jobs > 1;
        }
    }

    private RestorePlan() {}

    /**
     * @param configuredJobs RESTORE_JOBS (0: chosen here, one per vCPU at most; 1: streamed; N: N jobs)
     * @param vcpus          the worker's vCPUs
     * @param toc            the archive's table of contents as the check counted it
     * @param archiveBytes   the archive's size in S3
     * @param encrypted      whether it must be decrypted beside the download (twice its size for a moment)
     * @param usableDisk     free bytes on the worker's disk, or -1 when unknown
     */
    static Choice choose(int configuredJobs, int vcpus, TableOfContents.Counts toc, long archiveBytes,
            boolean encrypted, long usableDisk) {
        boolean configured = configuredJobs > 0;
        int jobs = configured ? configuredJobs : vcpus;
        if (jobs < 2) {
            return streamed(configured ? "RESTORE_JOBS=1" : "the worker has one vCPU");
        }
        if (!configured) {
            if (toc.entries() == 0) {
                return streamed("the table of contents was not counted");
            }
            if (toc.tableData() < TABLES_PER_JOB * jobs || toc.independent() < WORK_PER_JOB * jobs) {
                return streamed(toc + " are too little independent work for " + jobs + " jobs");
            }
        }
        long needed = archiveBytes * (encrypted ? 2 : 1) + DISK_MARGIN;
        if (usableDisk < needed) {
            return streamed(usableDisk < 0 ? "the worker's disk could not be read"
                    : String.format(java.util.Locale.ROOT, "the archive needs %,d MB of the worker's disk, %,d MB are "
                            + "free", needed >> 20, usableDisk >> 20));
        }
        return new Choice(jobs, configured
                ? "restore mode: " + jobs + " jobs as RESTORE_JOBS=" + jobs + " asks (" + toc + ")"
                : "restore mode: " + jobs + " jobs, " + toc + " to share");
    }

    /** Free bytes where a parallel restore would download, or -1. */
    static long usable(Path scratch) {
        try {
            return Files.getFileStore(scratch).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    private static Choice streamed(String why) {
        return new Choice(1, "restore mode: streamed, " + why);
    }
}
