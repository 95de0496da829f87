package dev.pgbackup.common.storage;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.pgbackup.common.Hashes;
import dev.pgbackup.common.Json;
import dev.pgbackup.common.failure.Failure;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A backup's row counts ("schema.table" to rows) in their own gzip-compressed JSON object beside the manifest,
 * which records how many tables it holds and its SHA-256. They grow with the schema (a multi-tenant database has
 * thousands of tables with 63-byte names), so they are not in the manifest, which every restore reads. The
 * bounds are shared by the writer and the reader: a backup counts at most {@link #MAX_TABLES} tables, and an
 * object of that many tables of the longest names compresses far below {@link #MAX_BYTES}.
 */
public final class RowCounts {
    /** Tables a backup counts at most (beyond: no counts, and the job says why). */
    public static final int MAX_TABLES = 100_000;
    /** The compressed object's bound: 100,000 keys of 127 bytes are about 14 MB before compression. */
    static final int MAX_BYTES = 32 * 1024 * 1024;

    /** The object as written: its bytes, how many tables it holds, and their SHA-256 (recorded in the manifest). */
    record Encoded(byte[] bytes, int tables, String sha256) {}

    private RowCounts() {}

    static Encoded encode(Map<String, Long> counts) {
        if (counts.size() > MAX_TABLES) {
            throw Failure.server("row counts of " + counts.size() + " tables, more than the " + MAX_TABLES
                    + " a backup records");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024)) {
            Json.MAPPER.writeValue(gz, new TreeMap<>(counts));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = out.toByteArray();
        if (bytes.length > MAX_BYTES) {
            throw Failure.server("row counts of " + counts.size() + " tables take " + bytes.length
                    + " bytes compressed, more than the " + MAX_BYTES + " a restore drill reads");
        }
        return new Encoded(bytes, counts.size(), Hashes.hex(Hashes.sha256(bytes)));
    }

    /**
     * The counts in {@code bytes}, which must be what the manifest recorded ({@code tables}, {@code sha256}): read
     * as a stream of entries, never more than {@link #MAX_TABLES}.
     */
    static Map<String, Long> decode(String key, byte[] bytes, int tables, String sha256) {
        if (!Hashes.hex(Hashes.sha256(bytes)).equals(sha256)) {
            throw Failure.server("The row counts " + key + " do not match the checksum their manifest recorded");
        }
        Map<String, Long> counts = new TreeMap<>();
        try (JsonParser p = Json.MAPPER.getFactory()
                .createParser(new GZIPInputStream(new ByteArrayInputStream(bytes)))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw unreadable(key);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String table = p.currentName();
                if (p.nextToken() != JsonToken.VALUE_NUMBER_INT || counts.size() >= MAX_TABLES) {
                    throw unreadable(key);
                }
                counts.put(table, p.getLongValue());
            }
        } catch (IOException e) {
            throw unreadable(key);
        }
        if (counts.size() != tables) {
            throw Failure.server("The row counts " + key + " hold " + counts.size() + " tables, not the " + tables
                    + " their manifest recorded");
        }
        return counts;
    }

    private static Failure unreadable(String key) {
        return Failure.server("The row counts " + key + " cannot be read");
    }
}
