package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MultipartStreamTest {
    @Test
    void aPartsCrc32IsTheStandardCheckValueBigEndianInBase64() {
        // CRC-32 (ISO-HDLC) of "123456789" is 0xCBF43926, the algorithm's published check value
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);

        assertEquals("y/Q5Jg==", MultipartStream.crc32(check, check.length));
    }

    @Test
    void onlyThePartsOwnBytesCountNotTheRestOfItsBuffer() {
        byte[] buffer = "123456789 and what an earlier, longer part left".getBytes(StandardCharsets.US_ASCII);

        assertEquals("y/Q5Jg==", MultipartStream.crc32(buffer, 9));
    }
}
