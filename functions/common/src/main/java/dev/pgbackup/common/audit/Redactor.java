package dev.pgbackup.common.audit;

import java.util.Collection;
import java.util.regex.Pattern;

/**
 * Removes secrets from text that leaves the process (stderr tails of pg_dump, exception messages):
 * the exact secret values we know, plus the shapes secrets take in PostgreSQL and HTTP text.
 */
public final class Redactor {
    private static final String MASK = "****";
    private static final Pattern URL_CREDENTIALS = Pattern.compile("(?i)(postgres(?:ql)?://)[^\\s/@]*@");
    /** Not after an account id: an ARN's resource type ({@code ...:123456789012:secret:name}) names a secret. */
    private static final Pattern KEY_VALUE = Pattern.compile(
            "(?i)\\b(?<!\\d{12}:)(\\w*(?:password|passkey|passwd|pwd|secret|token|signature))\\s*[=:]\\s*\\S+");
    private static final Pattern BEARER = Pattern.compile("(?i)bearer\\s+[A-Za-z0-9._~+/=-]+");

    private Redactor() {}

    public static String scrub(String text, Collection<String> secrets) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String secret : secrets) {
            if (secret != null && secret.length() >= 3) {
                out = out.replace(secret, MASK);
            }
        }
        out = URL_CREDENTIALS.matcher(out).replaceAll("$1" + MASK + "@");
        out = KEY_VALUE.matcher(out).replaceAll("$1=" + MASK);
        return BEARER.matcher(out).replaceAll("Bearer " + MASK);
    }
}
