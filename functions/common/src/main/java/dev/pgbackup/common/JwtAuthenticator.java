package dev.pgbackup.common;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.interfaces.Claim;
import com.auth0.jwt.interfaces.DecodedJWT;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Bearer JWT check: HS256 only (an {@code alg:none} or RS/HS confusion token fails verification), a
 * required {@code exp}, and the configured role in the roles claim (array, or comma/space separated).
 */
public class JwtAuthenticator {
    /** Who called, for the audit line; or why not (401 / 403). */
    public record Result(int status, String subject, String message) {
        public boolean allowed() {
            return status == 200;
        }

        public com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse refusal() {
            return ApiResponses.error(status, message);
        }
    }

    private static final int MAX_TOKEN_LENGTH = 8192;

    private final Supplier<String> secret;
    private final String requiredRole;
    private final String rolesClaim;
    private volatile String verifierSecret;
    private volatile JWTVerifier verifier;

    public JwtAuthenticator(Supplier<String> secret, String requiredRole, String rolesClaim) {
        this.secret = secret;
        this.requiredRole = requiredRole;
        this.rolesClaim = rolesClaim;
    }

    /**
     * The request's caller, recorded on the audit entry; a refused caller's entry is written here, and
     * {@link Result#refusal()} is the answer to return.
     */
    public Result authenticate(Map<String, String> headers, AuditLog.Entry audit) {
        Result who = authenticate(headers);
        audit.with("subject", who.subject());
        if (!who.allowed()) {
            audit.with("status", who.status()).write("DENIED");
        }
        return who;
    }

    public Result authenticate(Map<String, String> headers) {
        String header = headers == null ? null : headers.entrySet().stream()
                .filter(e -> "authorization".equalsIgnoreCase(e.getKey()))
                .map(Map.Entry::getValue)
                .findFirst().orElse(null);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return new Result(401, null, "Missing or invalid Authorization header: a Bearer token is required");
        }
        String token = header.substring(7).trim();
        if (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            return new Result(401, null, "Invalid or expired token");
        }
        DecodedJWT jwt;
        try {
            jwt = verifier().verify(token);
        } catch (JWTVerificationException e) {
            // the library's reason can quote claims from the token: it stays out of the response
            return new Result(401, null, "Invalid or expired token");
        }
        String subject = jwt.getSubject() != null ? jwt.getSubject() : "unknown";
        if (!roles(jwt).contains(requiredRole)) {
            return new Result(403, subject, "Access denied: role " + requiredRole + " is required");
        }
        return new Result(200, subject, null);
    }

    private List<String> roles(DecodedJWT jwt) {
        Claim claim = jwt.getClaim(rolesClaim);
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
        String current = secret.get();
        if (verifier == null || !current.equals(verifierSecret)) {
            verifier = JWT.require(Algorithm.HMAC256(current))
                    .withClaimPresence("exp")
                    .acceptLeeway(30)
                    .build();
            verifierSecret = current;
        }
        return verifier;
    }
}
