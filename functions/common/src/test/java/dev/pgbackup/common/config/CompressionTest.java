package dev.pgbackup.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CompressionTest {
    @ParameterizedTest
    @CsvSource({
            "zstd, zstd:3, --compress=zstd:3, --compress=zstd:3, 16",
            "zstd:1, zstd:1, --compress=zstd:1, --compress=zstd:1, 16",
            "ZSTD:19, zstd:19, --compress=zstd:19, --compress=zstd:19, 16",
            "lz4, lz4:1, --compress=lz4:1, --compress=lz4:1, 16",
            "gzip, gzip:6, --compress=6, --compress=gzip:6, 0",
            "gzip:1, gzip:1, --compress=1, --compress=gzip:1, 0",
            "none, none, --compress=0, --compress=0, 0"})
    void settingsAndTheArgumentsEachPgDumpTakes(String setting, String shown, String for15, String for16, int first) {
        Compression c = Compression.parse(setting);
        assertEquals(shown, c.toString());
        assertEquals(for15, c.pgDumpArgument(15));
        assertEquals(for16, c.pgDumpArgument(16));
        assertEquals(first, c.firstPgDumpMajor());
    }

    @ParameterizedTest
    @ValueSource(strings = {"zstd:0", "zstd:20", "lz4:13", "gzip:0", "gzip:10", "none:1", "brotli", "zstd:", "",
            "zstd 3"})
    void anythingElseIsRefusedWithWhatIsAccepted(String setting) {
        assertThrows(IllegalArgumentException.class, () -> Compression.parse(setting));
    }
}
