package dev.pgbackup.common.storage;

/**
 * How an upload of unknown length is cut into parts, and how much of it may be in memory at once.
 *
 * <p>Parts start at {@code firstPart} and double every {@link #DOUBLE_EVERY} parts up to {@code maxPart}, so 10,000
 * parts hold far more than a worker can dump in its time whatever the database's size, and a small archive never
 * needs large buffers. The parts held at once (being filled, hashed or sent) cost at least
 * {@code buffer / MAX_IN_FLIGHT} each against a budget of {@code buffer} bytes: at most {@link #MAX_IN_FLIGHT} small
 * parts, and never more than {@code buffer} bytes of large ones (a fixed bound, however large the database).
 */
record PartPlan(long firstPart, long maxPart, long buffer) {
    private static final long MIB = 1024 * 1024;
    /** S3 takes at most 10,000 parts of 5 MiB to 5 GiB (the last may be smaller). */
    static final int MAX_PARTS = 10_000;
    static final int DOUBLE_EVERY = 1_000;
    /** Enough parts in flight to keep S3 busy behind a pg_dump writing 100+ MB/s (one part ~ 50 MB/s in Lambda). */
    static final int MAX_IN_FLIGHT = 8;

    /** 8 MiB parts (64 MiB in flight) for the first 8 GiB; at most 128 MiB in memory; about 490 GiB (528 GB) in all. */
    static final PartPlan DEFAULT = new PartPlan(8 * MIB, 64 * MIB, 128 * MIB);

    PartPlan {
        if (firstPart < 5 * MIB || maxPart < firstPart || buffer < 2 * maxPart) {
            throw new IllegalArgumentException("parts of 5 MiB or more, and room for two of the largest");
        }
    }

    /** The size of part {@code number} (1-based): what is read before it is sent, unless the stream ends first. */
    long partSize(int number) {
        return Math.min(maxPart, firstPart << Math.min((number - 1) / DOUBLE_EVERY, 20));
    }

    /** What a part of {@code size} bytes costs against the buffer: so that no more than MAX_IN_FLIGHT are held. */
    long cost(long size) {
        return Math.max(size, buffer / MAX_IN_FLIGHT);
    }

    /** The most an archive can be: every one of the 10,000 parts full. */
    long capacity() {
        long total = 0;
        for (int n = 1; n <= MAX_PARTS; n++) {
            total += partSize(n);
        }
        return total;
    }
}
