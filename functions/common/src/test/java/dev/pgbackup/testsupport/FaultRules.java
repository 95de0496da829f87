package dev.pgbackup.testsupport;

import static dev.pgbackup.testsupport.HttpWire.decode;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * What a {@link FaultProxy} records and decides: the {@link Request}s it saw, and the {@link Rule}s that pick
 * requests (by {@link #s3} or {@link #ssm} predicates) and say what happens to them: forward after a delay, answer
 * instead of the upstream, drop the connection, or cut the response short. The proxy extends this class, so the
 * tests name them {@code FaultProxy.Request}, {@code FaultProxy.Rule}, {@code FaultProxy.s3(...)}.
 */
public abstract class FaultRules {
    private final List<Rule> rules = new CopyOnWriteArrayList<>();

    FaultRules() {}

    // ------------------------------------------------------------------------------------------------ recording

    /**
     * A recorded request: method, raw path (see {@link #key()} / {@link #s3Key} for the URL-decoded key), raw query
     * (null if none), all request headers with lower-case names (repeated ones joined with ","), the status answered
     * (0 while in flight, or when no answer was given) and the fault injected (null if it was forwarded untouched).
     */
    public record Request(String method, String path, String query, Map<String, String> headers, int status,
            String fault) {

        /** PUT, DELETE, POST (S3 POST ?uploads / ?uploadId= / ?delete, SSM calls other than Get/Describe/List). */
        public boolean isWrite() {
            switch (method) {
                case "PUT" :
                case "DELETE" :
                    return true;
                case "POST" : {
                    String target = ssmTarget();
                    if (target == null) {
                        return true;
                    }
                    String op = target.substring(target.lastIndexOf('.') + 1);
                    return !(op.startsWith("Get") || op.startsWith("Describe") || op.startsWith("List"));
                }
                default :
                    return false;
            }
        }

        /** The URL-decoded object key of a path-style S3 request on {@code bucket}, or null (other bucket, bucket-level call, SSM). */
        public String s3Key(String bucket) {
            return bucket.equals(bucket()) ? key() : null;
        }

        /** The bucket of a path-style S3 request, or null. */
        public String bucket() {
            if (ssmTarget() != null || path == null || path.length() < 2 || path.charAt(0) != '/') {
                return null;
            }
            int slash = path.indexOf('/', 1);
            return decode(slash < 0 ? path.substring(1) : path.substring(1, slash));
        }

        /** The URL-decoded object key of a path-style S3 request on any bucket, or null. */
        public String key() {
            if (ssmTarget() != null || path == null) {
                return null;
            }
            int slash = path.indexOf('/', 1);
            if (slash < 0 || slash == path.length() - 1) {
                return null;
            }
            return decode(path.substring(slash + 1));
        }

        /** X-Amz-Target (for example {@code AmazonSSM.GetParameter}), or null. */
        public String ssmTarget() {
            return headers.get("x-amz-target");
        }

        /** A request header (any case), or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** Whether the query has the parameter {@code name} (with or without a value). */
        public boolean hasQueryParam(String name) {
            return queryParam(name) != null;
        }

        /** The URL-decoded value of a query parameter ("" if it has none), or null if absent. */
        public String queryParam(String name) {
            if (query == null || query.isEmpty()) {
                return null;
            }
            for (String part : query.split("&")) {
                int eq = part.indexOf('=');
                String k = decode(eq < 0 ? part : part.substring(0, eq));
                if (k.equals(name)) {
                    return eq < 0 ? "" : decode(part.substring(eq + 1));
                }
            }
            return null;
        }

        public boolean injected() {
            return fault != null;
        }

        Request answered(int status, String fault) {
            return new Request(method, path, query, headers, status, fault);
        }

        @Override
        public String toString() {
            String target = ssmTarget();
            return method + " " + (target != null ? target : path + (query != null ? "?" + query : ""))
                    + " -> " + status + (fault != null ? " [" + fault + "]" : "");
        }
    }

    // ------------------------------------------------------------------------------------------------ rules

    /** A new rule for the requests that match (it is active at once; until a fault is set it only counts). */
    public Rule when(Predicate<Request> match) {
        Rule rule = new Rule(match);
        rules.add(rule);
        return rule;
    }

    public void clearRules() {
        rules.clear();
    }

    /** The fault the first rule whose window covers {@code request} decides, or null to forward it untouched. */
    Fault decide(Request request) {
        for (Rule rule : rules) {
            Fault fault = rule.consider(request);
            if (fault != null) {
                return fault;
            }
        }
        return null;
    }

    /**
     * A path-style S3 request: {@code method} (null for any), the URL-decoded key matching {@code keyRegex} in full
     * (null for any, bucket-level requests included), and the query parameter {@code queryParamOrNull} present (a
     * leading '!' means: absent; e.g. {@code s3("PUT", k, "!partNumber")} is a PutObject and not an UploadPart).
     */
    public static Predicate<Request> s3(String method, String keyRegex, String queryParamOrNull) {
        Pattern key = keyRegex == null ? null : Pattern.compile(keyRegex);
        return r -> {
            if (r.ssmTarget() != null || (method != null && !method.equalsIgnoreCase(r.method()))) {
                return false;
            }
            if (key != null) {
                String k = r.key();
                if (k == null || !key.matcher(k).matches()) {
                    return false;
                }
            }
            if (queryParamOrNull != null) {
                boolean absent = queryParamOrNull.startsWith("!");
                String name = absent ? queryParamOrNull.substring(1) : queryParamOrNull;
                return r.hasQueryParam(name) != absent;
            }
            return true;
        };
    }

    /** An SSM call whose X-Amz-Target ends with {@code targetSuffix} (e.g. "GetParameter" for AmazonSSM.GetParameter). */
    public static Predicate<Request> ssm(String targetSuffix) {
        return r -> {
            String target = r.ssmTarget();
            if (target == null) {
                return false;
            }
            return target.equals(targetSuffix) || target.endsWith("." + targetSuffix);
        };
    }

    enum Action {
        FORWARD, RESPOND, DROP, TRUNCATE, RESET
    }

    /** What happens to the requests a predicate matches. Set the window first, then the fault. */
    public static final class Rule {
        private final Predicate<Request> match;
        private int passes;
        private int times = Integer.MAX_VALUE;
        private Duration delay = Duration.ZERO;
        private java.util.concurrent.CountDownLatch gate;
        private Action action = Action.FORWARD;
        private int status;
        private String contentType;
        private byte[] body;
        private long truncateAfter;
        private String what;
        private int matched;
        private int fired;

        private Rule(Predicate<Request> match) {
            this.match = match;
        }

        /** Lets the first {@code n} matching requests through untouched. */
        public synchronized Rule afterPasses(int n) {
            this.passes = n;
            return this;
        }

        /** Then injects the fault {@code n} times (default: for ever); later matches pass. */
        public synchronized Rule times(int n) {
            this.times = n;
            return this;
        }

        /** Waits this long before forwarding (or before the fault), for the requests in the rule's window. */
        public synchronized Rule delay(Duration d) {
            this.delay = d;
            return this;
        }

        /**
         * Holds the requests in the rule's window until {@code gate} opens (five minutes at most), then forwards them
         * (or injects the fault): a test acts while the job waits on a request it can see in {@link #matched()}.
         */
        public synchronized Rule holdUntil(java.util.concurrent.CountDownLatch gate) {
            this.gate = gate;
            return this;
        }

        /** Answers instead of the upstream. */
        public synchronized Rule respond(int status, String contentType, String body) {
            set(Action.RESPOND, "respond " + status);
            this.status = status;
            this.contentType = contentType;
            this.body = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /** Answers with an S3 XML error ({@code <Error><Code>code</Code><Message>message</Message>...}). */
        public Rule respondS3Error(int status, String code, String message) {
            return respondAs("S3 " + status + " " + code, status, "application/xml",
                    FaultAnswers.s3Error(code, message));
        }

        /** Answers with an SSM (AWS JSON 1.1) error: {@code {"__type": type, "message": message}}. */
        public Rule respondSsmError(int status, String type, String message) {
            return respondAs("SSM " + status + " " + type, status, "application/x-amz-json-1.1",
                    FaultAnswers.ssmError(type, message));
        }

        private synchronized Rule respondAs(String what, int status, String contentType, String body) {
            respond(status, contentType, body);
            set(Action.RESPOND, what);
            return this;
        }

        /** Reads the request, then closes the connection without any answer. */
        public synchronized Rule dropConnection() {
            set(Action.DROP, "dropConnection");
            return this;
        }

        /**
         * Forwards, sends the upstream's status and headers (the full Content-Length included) and the first
         * {@code bytes} of the body, then closes the connection.
         */
        public synchronized Rule truncateResponseAfter(long bytes) {
            set(Action.TRUNCATE, "truncateResponseAfter " + bytes);
            this.truncateAfter = bytes;
            return this;
        }

        /**
         * Like {@link #truncateResponseAfter} but ends the connection with a TCP reset (SO_LINGER 0) instead of an
         * orderly close: the client sees "Connection reset" (and may lose some of the bytes sent just before).
         */
        public synchronized Rule resetResponseAfter(long bytes) {
            set(Action.RESET, "resetResponseAfter " + bytes);
            this.truncateAfter = bytes;
            return this;
        }

        /** How many times this rule's fault (or delay) fired. */
        public synchronized int injected() {
            return fired;
        }

        /** How many requests matched the predicate so far (passed ones included). */
        public synchronized int matched() {
            return matched;
        }

        private void set(Action a, String what) {
            this.action = a;
            this.what = what;
        }

        /** Counts a matching request; the snapshot of what to do if it falls in the window, else null. */
        private synchronized Fault consider(Request r) {
            if (!match.test(r)) {
                return null;
            }
            matched++;
            if (matched <= passes || fired >= times || (action == Action.FORWARD && delay.isZero() && gate == null)) {
                return null;
            }
            fired++;
            String description = action == Action.FORWARD ? (gate != null ? "held" : "delay " + delay)
                    : delay.isZero() ? what : what + " after a delay of " + delay;
            return new Fault(action, delay, gate, status, contentType, body, truncateAfter, description);
        }
    }

    record Fault(Action action, Duration delay, java.util.concurrent.CountDownLatch gate, int status,
            String contentType, byte[] body, long truncateAfter, String description) {}
}
