package dev.pgbackup.restore.drill;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/** This environment's newest successful restore drill: which backup it proved restorable, and when. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LastDrill(String jobId, String filename, Instant succeededAt, int tables, Integer rowCountsCompared) {}
