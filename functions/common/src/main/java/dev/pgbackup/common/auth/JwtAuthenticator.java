package dev.pgbackup.common.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.interfaces.Claim;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.auth0.jwt.interfaces.Verification;
import dev.pgbackup.common.config.Config;
import dev.pgbackup.common.failure.Failure;
import dev.pgbackup.common.failure.Verdict;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Bearer JWT check: HS256 only (an {@code alg:none} or RS/HS confusion token fails verification), a numeric
 * {@code exp} no further ahead than the maximum lifetime, a {@code sub}, the audience and issuer when the
 * stack sets them, and the configured role in the roles claim (array, or comma/space separated).
 */
public final class JwtAuthenticator {
    static final int MAX_TOKEN_LENGTH = 8192;
    /** HS256 keys shorter than the hash output are guessable offline from any one token. */
    static final int MIN_SECRET_BYTES = 32;
    private static final long LEEWAY_SECONDS = 30;
    private static final String INVALID = "Invalid or expired token";

    private final SecretSource secrets;
    private final String secretParameter;
    private final Config.JwtPolicy policy;
    private final Clock clock;
    private volatile String verifierSecret;
    private volatile JWTVerifier verifier;

    public JwtAuthenticator(SecretSource secrets, String secretParameter, Config.JwtPolicy policy, Clock clock) {
        this.secrets = secrets;
        this.secretParameter = secretParameter;
        this.policy = policy;
        this.clock = clock;
    }

    /** The verified caller; a {@link Failure} of kind 401 (no or bad token) or 403 (no role) otherwise. */
    public Caller authenticate(Map<String, String> headers) {
        String header = headers == null ? null : headers.entrySet().stream()
                .filter(e -> "authorization".equalsIgnoreCase(e.getKey()))
                .map(Map.Entry::getValue)
                .findFirst().orElse(null);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthenticated("Missing or invalid Authorization header: a Bearer token is required");
        }
        String token = header.substring(7).trim();
        if (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            throw unauthenticated(INVALID);
        }
        DecodedJWT jwt;
        try {
            jwt = verifier().verify(token);
        } catch (JWTVerificationException e) {
            // the library's reason can quote claims from the token: it stays out of the response
            throw unauthenticated(INVALID);
        }
        checkLifetime(jwt);
        String subject = jwt.getSubject();
        if (subject == null || subject.isBlank() || subject.length() > 256) {
            throw unauthenticated("Invalid token: a subject (sub) is required");
        }
        if (!roles(jwt).contains(policy.requiredRole())) {
            throw new Failure(Failure.Kind.FORBIDDEN, Verdict.ACCESS_DENIED,
                    "role " + policy.requiredRole() + " is required");
        }
        return new Caller(subject);
    }

    /** {@code exp} must be a number, and a token may not live longer than the stack allows. */
    private void checkLifetime(DecodedJWT jwt) {
        Claim exp = jwt.getClaim("exp");
        Long expires = exp.isMissing() || exp.isNull() ? null : exp.asLong();
        if (expires == null) {
            throw unauthenticated("Invalid token: a numeric expiry (exp) is required");
        }
        Instant latest = clock.instant().plus(policy.maxLifetime()).plusSeconds(LEEWAY_SECONDS);
        if (Instant.ofEpochSecond(expires).isAfter(latest)) {
            throw unauthenticated("Invalid token: it expires more than " + policy.maxLifetime().toHours()
                    + " hours from now (the longest lifetime this stack accepts)");
        }
    }

    private static Failure unauthenticated(String message) {
        return new Failure(Failure.Kind.UNAUTHENTICATED, message);
    }

    private List<String> roles(DecodedJWT jwt) {
        Claim claim = jwt.getClaim(policy.rolesClaim());
        if (claim.isMissing() || claim.isNull()) {
            return List.of();
        }
        List<String> list = claim.asList(String.class);
        if (list != null) {
            return list;
        }
        String text = claim.asString();
        return text == null ? List.of() : Arrays.asList(text.split("[,\\s]+"));
    }

    /** Rebuilt when the secret (cached with a TTL) changes, so a rotated secret takes effect. */
    private JWTVerifier verifier() {
        String current = secrets.get(secretParameter);
        if (current.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
            // read on first use (never during init, so no SnapStart snapshot holds it): refused here, every time,
            // with the parameter's name only in the log
            throw Failure.server("The stack's JWT secret is shorter than " + MIN_SECRET_BYTES + " bytes: no token "
                    + "is accepted until a longer one is set (see the function's log)",
                    "JWT secret parameter "
                            + secretParameter + " holds fewer than " + MIN_SECRET_BYTES + " bytes; set a longer one "
                            + "(for example: openssl rand -base64 48)");
        }
        if (verifier == null || !current.equals(verifierSecret)) {
            Verification v = JWT.require(Algorithm.HMAC256(current))
                    .withClaimPresence("exp")
                    .acceptLeeway(LEEWAY_SECONDS);
            if (policy.audience() != null) {
                v = v.withAudience(policy.audience());
            }
            if (policy.issuer() != null) {
                v = v.withIssuer(policy.issuer());
            }
            // the injected clock decides expiry, so tests and the lifetime check agree on "now"
            verifier = ((JWTVerifier.BaseVerification) v).build(clock);
            verifierSecret = current;
        }
        return verifier;
    }
}
