package dev.pgbackup.restore;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes the data offsets into a downloaded custom-format archive's table of contents. pg_dump writing to a pipe (as
 * every backup does) cannot seek back to record where each table's data begins, so each TOC entry says "position not
 * set"; {@code pg_restore --jobs} workers then each scan the data blocks to find theirs. The offset fields have a fixed
 * size (a flag byte and {@code offSize} bytes), so they are filled in place: nothing else in the file changes, and an
 * archive this cannot read entirely (another format or version, a block no entry claims) is left exactly as it was.
 * Archive versions 1.14 to 1.16 (pg_dump 12 to 18).
 */
final class DataOffsets {
    /** pg_backup_archiver.h: the offset flags and data block types. */
    static final int POS_NOT_SET = 1;
    static final int POS_SET = 2;
    private static final int BLK_DATA = 1;
    private static final int BLK_BLOBS = 3;
    private static final int ARCHIVE_CUSTOM = 1;
    private static final int V1_14 = version(1, 14);
    private static final int V1_15 = version(1, 15);
    private static final int V1_16 = version(1, 16);

    /** pg_dump's sections (teSection in pg_backup.h). */
    private static final int SECTION_NONE = 1;
    private static final int SECTION_PRE_DATA = 2;
    private static final int SECTION_DATA = 3;
    private static final int SECTION_POST_DATA = 4;

    /**
     * What a restore's --section=data --section=post-data run will report finished: each entry's dump id, and whether
     * it is TABLE DATA; none when the table of contents could not be read whole.
     */
    record Sections(Map<Integer, Boolean> entries) {
        static final Sections UNKNOWN = new Sections(Map.of());

        Sections {
            entries = Map.copyOf(entries);
        }

        int afterSchema() {
            return entries.size();
        }

        int tableData() {
            return (int) entries.values().stream().filter(Boolean::booleanValue).count();
        }

        /** What a run restoring only the entries {@code dumpIds} (a use-list's) reports finished. */
        Sections within(java.util.Set<Integer> dumpIds) {
            Map<Integer, Boolean> chosen = new HashMap<>(entries);
            chosen.keySet().retainAll(dumpIds);
            return new Sections(chosen);
        }
    }

    /**
     * What was done: {@code entries} offsets written, or why none ({@code skipped}, entries 0); what the table of
     * contents holds after the schema.
     */
    record Result(int entries, String skipped, Sections sections) {
        static Result skipped(String why) {
            return new Result(0, why, Sections.UNKNOWN);
        }

        private static Result skipped(String why, Sections sections) {
            return new Result(0, why, sections);
        }

        @Override
        public String toString() {
            return skipped == null ? "data offsets of " + entries + " entries written" : "data offsets not written: "
                    + skipped;
        }
    }

    private DataOffsets() {}

    private static int version(int major, int minor) {
        return (major << 16) | (minor << 8);
    }

    /** Fills the unset data offsets of {@code archive} in place; reads only headers, seeks over the data. */
    static Result write(Path archive) throws IOException {
        try (FileChannel channel = FileChannel.open(archive, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Reader in = new Reader(channel);
            Map<Integer, Long> fields = new HashMap<>();
            Toc toc = readToc(in, fields);
            if (toc.skipped() != null) {
                return Result.skipped(toc.skipped(), toc.sections());
            }
            Map<Integer, Long> blocks = new HashMap<>();
            String why = readBlocks(in, fields, blocks);
            if (why != null) {
                return Result.skipped(why, toc.sections());
            }
            if (!blocks.keySet().equals(fields.keySet())) {
                return Result.skipped((fields.size() - blocks.size()) + " entries with data have no block",
                        toc.sections());
            }
            ByteBuffer field = ByteBuffer.allocate(1 + in.offSize).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<Integer, Long> e : fields.entrySet()) {
                field.clear();
                field.put((byte) POS_SET).putLong(blocks.get(e.getKey()));
                while (field.hasRemaining()) {
                    field.put((byte) 0);
                }
                field.flip();
                channel.write(field, e.getValue());
            }
            return new Result(fields.size(), null, toc.sections());
        } catch (EOFException e) {
            return Result.skipped("the archive ends early");
        }
    }

    /** What reading the TOC found: why no offsets are to be written (null when they are), and what follows the schema. */
    private record Toc(String skipped, Sections sections) {
        static Toc skipped(String why) {
            return new Toc(why, Sections.UNKNOWN);
        }
    }

    /** The header and TOC; {@code fields}: dump id to the position of its unset offset field. */
    private static Toc readToc(Reader in, Map<Integer, Long> fields) throws IOException {
        byte[] magic = in.bytes(5);
        if (!"PGDMP".equals(new String(magic, StandardCharsets.US_ASCII))) {
            return Toc.skipped("not a custom-format archive");
        }
        int v = (in.readByte() << 16) | (in.readByte() << 8);
        in.readByte();
        in.intSize = in.readByte();
        in.offSize = in.readByte();
        if (v < V1_14 || v > V1_16 || in.intSize < 1 || in.intSize > 4 || in.offSize < 8 || in.offSize > 16) {
            return Toc.skipped("archive version or layout not known");
        }
        if (in.readByte() != ARCHIVE_CUSTOM) {
            return Toc.skipped("not a custom-format archive");
        }
        if (v >= V1_15) {
            in.readByte(); // the compression algorithm
        } else {
            in.readInt(); // the compression level
        }
        for (int i = 0; i < 7; i++) {
            in.readInt(); // the creation time
        }
        for (int i = 0; i < 3; i++) {
            in.skipString(); // database, server version, pg_dump version
        }
        int count = in.readInt();
        boolean set = false;
        Map<Integer, Boolean> later = new HashMap<>();
        // as pg_restore decides: an entry of no section of its own (a comment) is in the section of the one before it;
        // ACLs are restored in a pass of their own, or not at all (--no-acl), and are left out
        int current = SECTION_PRE_DATA;
        for (int i = 0; i < count; i++) {
            Entry entry = readEntry(in, v);
            current = entry.section() == SECTION_NONE ? current : entry.section();
            if ((current == SECTION_DATA || current == SECTION_POST_DATA) && !entry.desc().contains("ACL")) {
                later.put(entry.dumpId(), "TABLE DATA".equals(entry.desc()));
            }
            long at = in.position();
            int flag = in.readByte();
            in.skip(in.offSize);
            set |= flag == POS_SET;
            if (flag == POS_NOT_SET) {
                fields.put(entry.dumpId(), at);
            }
        }
        return new Toc(set ? "the archive already has its offsets" : null, new Sections(later));
    }

    /** What a restore's order needs of a TOC entry. */
    private record Entry(int dumpId, String desc, int section) {}

    /** One TOC entry up to its offset field (ReadToc in pg_backup_archiver.c). */
    private static Entry readEntry(Reader in, int v) throws IOException {
        int dumpId = in.readInt();
        in.readInt(); // had a data dumper
        in.skipString(); // table oid
        in.skipString(); // oid
        in.skipString(); // tag
        String desc = in.readString();
        int section = in.readInt();
        for (int i = 0; i < 6; i++) {
            in.skipString(); // defn, drop, copy, namespace, tablespace, table access method
        }
        if (v >= V1_16) {
            in.readInt(); // relkind
        }
        in.skipString(); // owner
        in.skipString(); // "false" (with oids)
        while (in.skipString() >= 0) {
            // the dependencies, a null string ends them
        }
        return new Entry(dumpId, desc == null ? "" : desc, section);
    }

    /** The data blocks after the TOC; {@code blocks}: dump id to the block's position. Null, or why not. */
    private static String readBlocks(Reader in, Map<Integer, Long> fields, Map<Integer, Long> blocks)
            throws IOException {
        while (true) {
            long at = in.position();
            int type = in.readByteOrEnd();
            if (type < 0) {
                return null;
            }
            int dumpId = in.readInt();
            if (!fields.containsKey(dumpId) || blocks.put(dumpId, at) != null) {
                return "a data block (" + dumpId + ") no entry claims once";
            }
            if (type == BLK_DATA) {
                skipChunks(in);
            } else if (type == BLK_BLOBS) {
                while (in.readInt() != 0) {
                    skipChunks(in);
                }
            } else {
                return "a data block of unknown type " + type;
            }
        }
    }

    private static void skipChunks(Reader in) throws IOException {
        for (int length = in.readInt(); length != 0; length = in.readInt()) {
            if (length < 0) {
                throw new EOFException();
            }
            in.skip(length);
        }
    }

    /** Reads the archive's integers and strings as pg_dump wrote them, buffered, skipping by seeking. */
    private static final class Reader {
        private static final int MAX_NAME_BYTES = 64 * 1024;
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        private long bufferStart;
        int intSize = 4;
        int offSize = 8;

        Reader(FileChannel channel) {
            this.channel = channel;
            buffer.limit(0);
        }

        long position() {
            return bufferStart + buffer.position();
        }

        int readByteOrEnd() throws IOException {
            if (!buffer.hasRemaining() && !fill()) {
                return -1;
            }
            return buffer.get() & 0xFF;
        }

        int readByte() throws IOException {
            int b = readByteOrEnd();
            if (b < 0) {
                throw new EOFException();
            }
            return b;
        }

        /** WriteInt: a sign byte, then intSize bytes, least significant first. */
        int readInt() throws IOException {
            int sign = readByte();
            long value = 0;
            for (int i = 0; i < intSize; i++) {
                value |= (long) readByte() << (8 * i);
            }
            return (int) (sign == 0 ? value : -value);
        }

        /** WriteStr: a length (-1 for null), then the bytes; returns the length. */
        int skipString() throws IOException {
            int length = readInt();
            if (length > 0) {
                skip(length);
            }
            return length;
        }

        /** WriteStr's string as UTF-8, null for -1; a string too long for a name is skipped, read as "". */
        String readString() throws IOException {
            int length = readInt();
            if (length > MAX_NAME_BYTES) {
                skip(length);
                return "";
            }
            return length < 0 ? null : new String(bytes(length), StandardCharsets.UTF_8);
        }

        byte[] bytes(int n) throws IOException {
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                out[i] = (byte) readByte();
            }
            return out;
        }

        void skip(long n) throws IOException {
            if (n <= buffer.remaining()) {
                buffer.position(buffer.position() + (int) n);
                return;
            }
            long target = position() + n;
            if (target > channel.size()) {
                throw new EOFException();
            }
            bufferStart = target;
            buffer.clear().limit(0);
        }

        private boolean fill() throws IOException {
            bufferStart = position();
            buffer.clear();
            int n = channel.read(buffer, bufferStart);
            buffer.flip();
            return n > 0;
        }
    }
}
