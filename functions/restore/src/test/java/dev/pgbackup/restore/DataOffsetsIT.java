package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.testsupport.BackupFiles;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data offsets written into an archive pg_dump wrote to a pipe: only the offset fields change, pg_restore reads
 * the same table of contents, and {@code pg_restore --jobs 2} from the patched file restores the same rows (tables
 * of one and of many compressed chunks, an empty one, large objects).
 */
class DataOffsetsIT {
    private static final String SOURCE = "offsets_source";
    private static final String TARGET = "offsets_target";
    private static TestPostgres pg;
    private static byte[] dump;

    @TempDir
    Path dir;

    @BeforeAll
    static void seed() {
        pg = TestPostgres.get();
        pg.dropDatabase(SOURCE);
        pg.createDatabase(SOURCE);
        pg.execute(SOURCE, """
                set role app_owner;
                create table big (id int primary key, body text);
                insert into big select g, md5(g::text) || repeat(md5((g * 7)::text), 8) from generate_series(1, 60000) g;
                create table small (id int primary key, big_id int references big);
                insert into small select g, g * 3 from generate_series(1, 50) g;
                create table empty (id int);
                comment on table small is 'a comment of the schema';
                comment on index big_pkey is 'a comment restored with the index, after the schema';
                create schema other;
                create table other.words (w text);
                insert into other.words values ('a'), ('b'), (null);
                select lo_from_bytea(0, convert_to('a large object', 'UTF8'));
                """);
        dump = BackupFiles.dump(pg, SOURCE);
    }

    @AfterAll
    static void drop() {
        pg.dropDatabase(SOURCE);
        pg.dropDatabase(TARGET);
    }

    @Test
    void onlyTheOffsetFieldsChangeAndAParallelRestoreOfThePatchedArchiveIsRowEqual() throws Exception {
        Path file = dir.resolve("piped.dump");
        Files.write(file, dump);

        DataOffsets.Result result = DataOffsets.write(file);

        assertNull(result.skipped(), result.toString());
        assertEquals(5, result.entries(), "4 TABLE DATA and 1 BLOBS entries: " + result);
        // what a parallel restore's data and post-data run reports finished, its progress's whole (the comment on the
        // index has no section of its own: it is in the one before it, as pg_restore decides)
        List<String> later = pgRestore("--list", "--section=data", "--section=post-data", dump(dump)).lines()
                .filter(l -> !l.isBlank() && !l.startsWith(";")).toList();
        assertTrue(later.stream().anyMatch(l -> l.contains("COMMENT public INDEX big_pkey")), later.toString());
        assertEquals(later.size(), result.sections().afterSchema(), later.toString());
        assertEquals(4, result.sections().tableData());
        // a table-only restore's run: what pg_restore itself lists of the data and post-data sections with its use-list
        // (the comment on the index among them, placed by pg_restore after the list has reordered the entries)
        List<String> bigOnly = pgRestore("--list", dump(dump)).lines()
                .filter(l -> l.contains(" public big ") || l.contains(" big_pkey ")).toList();
        Path useList = Files.write(dir.resolve("big.list"), bigOnly);
        List<String> chosenLater = pgRestore("--list", "--use-list=" + useList, "--section=data", "--section=post-data",
                dump(dump)).lines().filter(l -> !l.isBlank() && !l.startsWith(";")).toList();
        assertTrue(chosenLater.stream().anyMatch(l -> l.contains("COMMENT public INDEX big_pkey")), bigOnly.toString());
        DataOffsets.Sections chosen = result.sections().within(TableSelection.dumpIds(bigOnly));
        assertEquals(ids(chosenLater), chosen.entries().keySet(), chosenLater.toString());
        assertEquals(1, chosen.tableData(), "the big table's data alone");
        byte[] patched = Files.readAllBytes(file);
        assertEquals(dump.length, patched.length);
        List<Integer> fields = changedFields(dump, patched);
        assertEquals(result.entries(), fields.size(), "one changed field per entry");
        for (int at : fields) {
            long offset = java.nio.ByteBuffer.wrap(patched, at + 1, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getLong();
            int blockType = patched[(int) offset];
            assertTrue(blockType == 1 || blockType == 3, "offset " + offset + " is a data block's start");
        }
        assertEquals(pgRestore("--list", dump(dump)), pgRestore("--list", file.toString()),
                "pg_restore reads the same table of contents");

        pg.dropDatabase(TARGET);
        pg.createDatabase(TARGET);
        pgRestore("--jobs=2", "--no-owner", "--dbname=" + TARGET, file.toString());

        assertEquals(pg.snapshot(SOURCE), pg.snapshot(TARGET));
        assertEquals(List.of("a large object"), pg.query(TARGET,
                "select convert_from(lo_get(oid), 'UTF8') from pg_largeobject_metadata"));
    }

    @Test
    void anArchiveThatIsNotOneItReadsIsLeftAsItWas() throws Exception {
        Path again = dir.resolve("again.dump");
        Files.write(again, dump);
        DataOffsets.Result first = DataOffsets.write(again);
        byte[] once = Files.readAllBytes(again);

        DataOffsets.Result twice = DataOffsets.write(again);
        assertEquals("the archive already has its offsets", twice.skipped());
        assertEquals(first.sections(), twice.sections(), "the table of contents is read whole all the same");
        assertArrayEquals(once, Files.readAllBytes(again));

        Path truncated = dir.resolve("truncated.dump");
        byte[] half = java.util.Arrays.copyOf(dump, dump.length / 2);
        Files.write(truncated, half);
        assertEquals("the archive ends early", DataOffsets.write(truncated).skipped());
        assertArrayEquals(half, Files.readAllBytes(truncated));

        Path text = dir.resolve("plain.sql");
        Files.writeString(text, "create table t (id int);\n");
        assertEquals("not a custom-format archive", DataOffsets.write(text).skipped());
        assertEquals("create table t (id int);\n", Files.readString(text));
    }

    /**
     * The positions where a field changed from "offset not set" (1, then zeros) to "set" (2, then the offset); fails
     * if any other byte changed.
     */
    private static List<Integer> changedFields(byte[] before, byte[] after) {
        List<Integer> fields = new ArrayList<>();
        for (int i = 0; i < before.length; i++) {
            if (before[i] == after[i]) {
                continue;
            }
            assertEquals(DataOffsets.POS_NOT_SET, before[i], "byte " + i + " was an unset offset's flag");
            assertEquals(DataOffsets.POS_SET, after[i], "byte " + i + " is a set offset's flag");
            for (int k = 1; k <= 8; k++) {
                assertEquals(0, before[i + k], "byte " + (i + k) + " was an unset offset");
            }
            fields.add(i);
            i += 8;
        }
        return fields;
    }

    private String dump(byte[] bytes) throws IOException {
        Path file = dir.resolve("original.dump");
        Files.write(file, bytes);
        return file.toString();
    }

    /** The dump ids of pg_restore --list lines. */
    private static java.util.Set<Integer> ids(List<String> lines) {
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        lines.forEach(l -> ids.add(Integer.parseInt(l.substring(0, l.indexOf(';')).trim())));
        return ids;
    }

    private static String pgRestore(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(RepoPaths.pgTool(pg.serverMajor(), "pg_restore").toString(),
                "--no-password", "-h", "127.0.0.1", "-p", Integer.toString(pg.port()), "-U", TestPostgres.APP_USER));
        cmd.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", TestPostgres.APP_PASSWORD);
        builder.environment().put("LD_LIBRARY_PATH", RepoPaths.pgToolsDir().resolve("lib").toString());
        Process p = builder.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "pg_restore finished");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
