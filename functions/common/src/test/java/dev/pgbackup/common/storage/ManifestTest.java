package dev.pgbackup.common.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgbackup.common.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Manifests with and without row counts: those written before counts existed still read. */
class ManifestTest {
    static final String BEFORE_COUNTS = "{\"filename\":\"pharmatracker-staging-on-2026-11-28-at-02-00-00-AM-IST.dump\","
            + "\"environment\":\"staging\",\"backupClass\":\"SCHEDULED\",\"jobId\":\"j\","
            + "\"startedAt\":\"2026-11-27T20:30:00Z\",\"completedAt\":\"2026-11-27T20:31:00Z\","
            + "\"bytes\":1234,\"sha256\":\"abc\",\"pgDumpVersion\":\"16.4\","
            + "\"serverVersion\":\"15.8\",\"compression\":\"zstd:1\"}";

    @Test
    void aManifestWrittenBeforeRowCountsReadsWithoutThem() throws Exception {
        Manifest m = Json.MAPPER.readValue(BEFORE_COUNTS, Manifest.class);

        assertEquals(1234, m.bytes());
        assertEquals("abc", m.sha256());
        assertNull(m.rowCounts());
        assertFalse(Json.write(m).contains("rowCounts"), "and is written back without them");
    }

    @Test
    void rowCountsRoundTripSortedByTable() throws Exception {
        Manifest m = Json.MAPPER.readValue(BEFORE_COUNTS, Manifest.class)
                .withRowCounts(Map.of("public.orders", 300L, "app.audit", 0L, "public.customers", 200L));

        String json = Json.write(m);
        assertTrue(json.endsWith(",\"rowCounts\":{\"app.audit\":0,\"public.customers\":200,\"public.orders\":300}}"),
                json);
        Manifest back = Json.MAPPER.readValue(json, Manifest.class);
        assertEquals(m, back);
        assertEquals(List.of("app.audit", "public.customers", "public.orders"), List.copyOf(back.rowCounts().keySet()));
    }

    @Test
    void theTwelveFieldConstructorMeansNoCounts() {
        Manifest m = new Manifest("f", "staging", BackupClass.ON_DEMAND, "j", Instant.EPOCH, Instant.EPOCH, 1, "s",
                "16", "16", "none", null);
        assertNull(m.rowCounts());
        assertNull(m.withRowCounts(null).rowCounts());
    }

    @Test
    void theHelpersKeepEachOthersFields() throws Exception {
        Manifest m = Json.MAPPER.readValue(BEFORE_COUNTS, Manifest.class)
                .withEncryption("aws-encryption-sdk", "arn:aws:kms:us-east-1:123456789012:key/k")
                .withRowCounts(Map.of("public.orders", 300L))
                .withScope(null);

        assertEquals("aws-encryption-sdk", m.encryption());
        assertEquals("arn:aws:kms:us-east-1:123456789012:key/k", m.kmsKeyId());
        assertTrue(m.clientSideEncrypted());
        assertEquals(Map.of("public.orders", 300L), m.rowCounts());
        assertEquals(m, Json.MAPPER.readValue(Json.write(m), Manifest.class), "and all of them round-trip");
        assertFalse(Json.MAPPER.readValue(BEFORE_COUNTS, Manifest.class).clientSideEncrypted());
    }
}
