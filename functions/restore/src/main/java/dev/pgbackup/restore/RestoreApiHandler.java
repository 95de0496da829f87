package dev.pgbackup.restore;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.pgbackup.common.ApiRequest;
import dev.pgbackup.common.ApiResponses;
import dev.pgbackup.common.AuditLog;
import dev.pgbackup.common.BackupName;
import dev.pgbackup.common.BackupObject;
import dev.pgbackup.common.BucketUnavailableException;
import dev.pgbackup.common.Config;
import dev.pgbackup.common.JobRecord;
import dev.pgbackup.common.JobStore;
import dev.pgbackup.common.JwtAuthenticator;
import dev.pgbackup.common.Services;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code POST /api/setting/restore} with {@code {"filename","passkey"}}. Checks, in this order: JWT and
 * role, a well-formed body, a file name that is one of this app's backups, the passkey, that the backup
 * exists, that the current environment has a backup from the last few minutes, and that no other restore
 * of this environment runs (lock). Then starts the restore worker and answers 200, or 202 with the job.
 * Every request writes one audit line; the passkey is never logged, echoed or stored.
 */
public class RestoreApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    static final Set<String> FIELDS = Set.of("filename", "passkey");
    static final String INVALID_PASSKEY = "Invalid restore passkey";

    private final Services services;
    private final RestoreLock lock;

    public RestoreApiHandler() {
        this(Services.fromEnvironment());
    }

    public RestoreApiHandler(Services services) {
        this.services = services;
        this.lock = new RestoreLock(services.store, services.config, services.clock);
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        Config config = services.config;
        AuditLog.Entry audit = services.audit.entry("restore.request").with("environment", config.environment());
        String jobId = null;
        boolean locked = false;
        try {
            JwtAuthenticator.Result who = services.auth.authenticate(event.getHeaders(), audit);
            if (!who.allowed()) {
                return who.refusal();
            }
            Map<String, String> fields = ApiRequest.fields(event, config.maxBodyBytes(), FIELDS, false);
            String filename = required(fields, "filename");
            String passkey = required(fields, "passkey");
            Optional<String> problem = filenameProblem(config.appName(), filename);
            if (problem.isPresent()) {
                // the rejected name is not logged: it is caller input of any shape (even a pasted passkey)
                audit.with("filenameLength", filename.length());
                throw new ApiRequest.Rejected(400, problem.get());
            }
            audit.with("filename", filename);
            if (!passkeyMatches(passkey)) {
                throw new ApiRequest.Rejected(403, INVALID_PASSKEY);
            }
            services.store.checkBucket();
            BackupObject backup = services.store.find(filename)
                    .orElseThrow(() -> new ApiRequest.Rejected(404, "Backup file not found: " + filename));
            audit.with("sourceEnvironment", backup.name().environment()).with("bytes", backup.size());
            if (!hasRecentBackup()) {
                throw new ApiRequest.Rejected(409, noRecentBackupMessage(config.environment(), config.recentBackupWindow()));
            }
            jobId = JobStore.newJobId();
            RestoreLock.Outcome taken = lock.acquire(jobId, who.subject(), filename);
            if (!taken.acquired()) {
                audit.with("runningJobId", taken.holder().jobId());
                throw new ApiRequest.Rejected(409, "A restore of '" + config.environment() + "' is already running (job "
                        + taken.holder().jobId() + ")");
            }
            locked = true;
            if (taken.replacedStale() != null) {
                audit.with("replacedStaleLockOfJob", taken.replacedStale().jobId());
            }
            JobRecord job = JobRecord.started(jobId, JobRecord.Type.RESTORE, config.environment(), filename,
                    who.subject(), "api", services.clock.instant());
            APIGatewayV2HTTPResponse response = services.jobRunner.startAndWait(job, config.restoreWorkerFunction(), context,
                    done -> ApiResponses.ok(Map.of(
                            "message", "Database restored successfully from backup: " + done.filename())));
            // 503 is the one answer of startAndWait for a worker that never started: nobody else will unlock
            locked = response.getStatusCode() == 503;
            audit.with("jobId", jobId).with("status", response.getStatusCode());
            if (response.getStatusCode() >= 500) {
                audit.with("message", messageOf(response));
            }
            audit.write(response.getStatusCode() == 200 ? "SUCCEEDED" : response.getStatusCode() == 202 ? "STARTED" : "FAILED");
            return response;
        } catch (ApiRequest.Rejected e) {
            audit.with("status", e.status()).with("message", e.getMessage()).write(e.status() == 403 ? "DENIED" : "REJECTED");
            return ApiResponses.error(e.status(), e.getMessage());
        } catch (BucketUnavailableException e) {
            audit.with("status", 500).with("message", e.getMessage()).write("FAILED");
            return ApiResponses.error(500, e.getMessage());
        } catch (RuntimeException e) {
            // SSM or S3 unavailable, a missing parameter: a server-side fault, described without internals
            audit.with("status", 500).with("jobId", jobId).with("error", e.getClass().getSimpleName()).write("FAILED");
            return ApiResponses.error(500, "Restore could not be started: " + e.getClass().getSimpleName()
                    + (e instanceof IllegalStateException ? ": " + e.getMessage() : ""));
        } finally {
            if (locked) {
                releaseQuietly(jobId);
            }
        }
    }

    private void releaseQuietly(String jobId) {
        try {
            lock.release(jobId);
        } catch (RuntimeException ignored) {
            // it goes stale after the worker's timeout
        }
    }

    private static String required(Map<String, String> fields, String name) {
        String value = fields.get(name);
        if (value == null || value.isEmpty()) {
            throw new ApiRequest.Rejected(400, "Field '" + name + "' is required");
        }
        return value;
    }

    /**
     * Why {@code filename} is not one of this app's backup names, or empty if it is. Only the exact name
     * pattern passes (no path, no encoding, no other app or prefix); the explicit checks give clearer messages.
     */
    static Optional<String> filenameProblem(String appName, String filename) {
        String expected = " (expected " + appName + "-<environment>-on-YYYY-MM-DD-at-hh-mm-ss-AM|PM-<zone>.dump)";
        if (filename.length() > BackupName.MAX_LENGTH) {
            return Optional.of("Invalid backup file name: longer than " + BackupName.MAX_LENGTH + " characters");
        }
        for (int i = 0; i < filename.length(); i++) {
            char c = filename.charAt(i);
            if (c == '/' || c == '\\' || c == '%' || c < 0x20 || c == 0x7f || c > 0x7e) {
                return Optional.of("Invalid backup file name: only a file name is allowed, without paths, encodings "
                        + "or special characters" + expected);
            }
        }
        if (filename.contains("..") || BackupName.parse(appName, filename).isEmpty()) {
            return Optional.of("Invalid backup file name" + expected);
        }
        return Optional.empty();
    }

    /** Compares SHA-256 digests in constant time: neither the passkey's content nor its length leaks through timing. */
    private boolean passkeyMatches(String given) {
        String expected = services.secrets.get(services.config.restorePasskeyParameter());
        return MessageDigest.isEqual(sha256(given), sha256(expected));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A backup of the current environment that completed within the window and still exists. Completion
     * comes from the backup worker's record: S3's LastModified of a multipart upload is its start time,
     * so a backup taking longer than the window would otherwise never count as recent.
     */
    private boolean hasRecentBackup() {
        String environment = services.config.environment();
        Instant since = services.clock.instant().minus(services.config.recentBackupWindow());
        return services.store.lastCompleted(environment)
                .filter(done -> !done.completedAt().isBefore(since))
                .flatMap(done -> services.store.find(done.filename()))
                .filter(b -> b.name().environment().equals(environment))
                .isPresent();
    }

    static String noRecentBackupMessage(String environment, Duration window) {
        long minutes = window.toMinutes();
        return "Safety check failed: No recent backup found from '" + environment + "' environment within last "
                + minutes + (minutes == 1 ? " minute" : " minutes")
                + ". Please create a backup first (POST /api/setting/backup) and then retry restore.";
    }

    private static String messageOf(APIGatewayV2HTTPResponse response) {
        try {
            Map<?, ?> body = dev.pgbackup.common.Json.MAPPER.readValue(response.getBody(), LinkedHashMap.class);
            return String.valueOf(body.get("message"));
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
