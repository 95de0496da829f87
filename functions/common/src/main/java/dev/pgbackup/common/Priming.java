package dev.pgbackup.common;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import dev.pgbackup.common.auth.JwtAuthenticator;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.http.ApiRequest;
import dev.pgbackup.common.http.ApiResponses;
import dev.pgbackup.common.jobs.JobRecord;
import dev.pgbackup.common.storage.ObjectStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;

/**
 * SnapStart priming: before Lambda snapshots an API function's initialised JVM, run the code every request
 * runs (JSON in and out, JWT verification, one S3 request) so that the classes are loaded and compiled in the
 * snapshot instead of on the first request after a restore. Nothing here reads a secret: the token is
 * signed and verified with a throwaway key, so the snapshot holds no JWT secret, passkey or database URL;
 * the S3 request is a HEAD of the bucket, which changes nothing.
 */
public final class Priming implements Resource {
    private static volatile Priming registered; // org.crac may hold resources weakly

    private final Config config;
    private final ObjectStore objects;

    Priming(Config config, ObjectStore objects) {
        this.config = config;
        this.objects = objects;
    }

    /** Registers priming for the snapshot of this container (a no-op where the JVM takes no checkpoint). */
    static void register(Config config, ObjectStore objects) {
        Priming priming = new Priming(config, objects);
        registered = priming;
        Core.getGlobalContext().register(priming);
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        warm();
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        // nothing to renew: secrets are read on first use after the restore, connections are opened per request
    }

    /**
     * Runs each warm-up step and returns the ones that failed: a failing step (S3 unreachable at snapshot time)
     * only costs its warm-up. It has no access to the secrets by construction: it gets no SecretSource.
     */
    java.util.List<String> warm() {
        java.util.List<String> failed = new java.util.ArrayList<>();
        attempt("tokens", this::warmTokens, failed);
        attempt("json", Priming::warmJson, failed);
        attempt("s3", objects::checkBucket, failed);
        return failed;
    }

    private void warmTokens() {
        byte[] key = new byte[48];
        new SecureRandom().nextBytes(key);
        String throwaway = Base64.getEncoder().encodeToString(key);
        Config.JwtPolicy policy = config.jwt();
        JWTCreator.Builder token = JWT.create().withSubject("snapstart-priming")
                .withArrayClaim(policy.rolesClaim(), new String[] {policy.requiredRole()})
                .withExpiresAt(Instant.now().plus(Duration.ofMinutes(1)));
        if (policy.audience() != null) {
            token.withAudience(policy.audience());
        }
        if (policy.issuer() != null) {
            token.withIssuer(policy.issuer());
        }
        new JwtAuthenticator(name -> throwaway, "priming", policy, Clock.systemUTC())
                .authenticate(Map.of("authorization", "Bearer " + token.sign(Algorithm.HMAC256(throwaway))));
    }

    private static void warmJson() throws Exception {
        APIGatewayV2HTTPEvent event = new APIGatewayV2HTTPEvent();
        event.setBody("{\"filename\":\"app-env-on-2026-01-01-at-02-00-00-AM-IST.dump\",\"passkey\":\"x\"}");
        ApiRequest.fields(event, 4096, Set.of("filename", "passkey"), false);
        JobRecord job = JobRecord.started("00000000-0000-0000-0000-000000000000", JobRecord.Type.BACKUP, "env",
                "app-env-on-2026-01-01-at-02-00-00-AM-IST.dump", "priming", "api", Instant.now());
        Json.MAPPER.readValue(Json.write(job), JobRecord.class);
        ApiResponses.ok(Map.of("message", "primed"));
    }

    private static void attempt(String name, ThrowingStep step, java.util.List<String> failed) {
        try {
            step.run();
        } catch (Exception e) {
            failed.add(name); // priming is an optimisation: the function works the same without it
        }
    }

    @FunctionalInterface
    private interface ThrowingStep {
        void run() throws Exception;
    }
}
