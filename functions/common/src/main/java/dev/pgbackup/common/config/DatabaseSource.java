package dev.pgbackup.common.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where the workers' database connection comes from: exactly one of an SSM SecureString URL
 * ({@code DB_URL_PARAMETER}) or a Secrets Manager secret in the RDS JSON shape ({@code DB_SECRET_ARN}). What a
 * secret cannot carry, or lacks (RDS-managed master secrets hold only the user name and password), comes from
 * {@code DB_HOST}, {@code DB_PORT}, {@code DB_NAME} (each wins over the secret's value when set) and
 * {@code DB_CONNECTION_OPTIONS}. With IAM database authentication the password is a token signed for
 * {@code DB_USER} whenever a connection or a tool starts.
 */
public record DatabaseSource(String urlParameter, String secretArn, String host, Integer port, String name,
        String sslMode, String sslRootCert, boolean iamAuth, String iamUser) {
    static final String DEFAULT_OPTIONS = "sslmode=verify-full&sslrootcert=rds-ca.pem";
    static final List<String> SSL_MODES = List.of("disable", "allow", "prefer", "require", "verify-ca",
            "verify-full");
    /** The modes that refuse a connection without TLS: RDS accepts IAM tokens only over TLS. */
    public static final Set<String> TLS_MODES = Set.of("require", "verify-ca", "verify-full");

    private static final Pattern SECRET_ARN = Pattern
            .compile("arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@!-]+");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_$-]{0,62}");
    private static final Pattern CERT_FILE = Pattern.compile("[A-Za-z0-9_./-]{1,200}");

    public boolean fromSecret() {
        return secretArn != null;
    }

    /** The SSM parameter name or the secret's ARN: what the workers read. */
    public String secretName() {
        return fromSecret() ? secretArn : urlParameter;
    }

    /** Which source, by its variable: safe for any caller (never the parameter's name or the secret's ARN). */
    public String describe() {
        return fromSecret() ? "the Secrets Manager secret in DB_SECRET_ARN" : "the SSM parameter in DB_URL_PARAMETER";
    }

    /** Reads and checks the variables; every problem goes to {@code problems}, naming its variable. */
    static DatabaseSource read(Map<String, String> env, List<String> problems) {
        String url = Variable.DB_URL_PARAMETER.in(env);
        String arn = Variable.DB_SECRET_ARN.in(env);
        if (url == null && arn == null) {
            problems.add("Missing required environment variable: DB_URL_PARAMETER (or DB_SECRET_ARN: exactly one of "
                    + "them)");
        } else if (url != null && arn != null) {
            problems.add("Environment variables DB_URL_PARAMETER and DB_SECRET_ARN are both set: set exactly one (the "
                    + "SSM SecureString URL or the Secrets Manager secret)");
        }
        if (arn != null && !SECRET_ARN.matcher(arn).matches()) {
            problems.add("Environment variable DB_SECRET_ARN must be a Secrets Manager secret ARN "
                    + "(arn:aws:secretsmanager:<region>:<account>:secret:<name>): " + arn);
        }
        String host = matching(env, Variable.DB_HOST, HOST, "a host name", problems);
        String name = matching(env, Variable.DB_NAME, IDENTIFIER, "a database name (letters, digits, '_', '$', '-')",
                problems);
        Integer port = port(env, problems);
        String[] options = options(env, problems);
        boolean iam = iamAuth(env, problems);
        String user = iam ? iamUser(env, problems) : null;
        if (iam && arn != null && !TLS_MODES.contains(options[0])) {
            problems.add(
                    "Environment variable DB_IAM_AUTH=true needs TLS: DB_CONNECTION_OPTIONS must set sslmode=require, "
                            + "verify-ca or verify-full (RDS accepts IAM tokens only over TLS): sslmode=" + options[0]);
        }
        return new DatabaseSource(arn == null ? url : null, arn, host, port, name, options[0], options[1], iam, user);
    }

    private static String matching(Map<String, String> env, Variable key, Pattern pattern, String what,
            List<String> problems) {
        String v = key.in(env);
        if (v != null && !pattern.matcher(v).matches()) {
            problems.add("Environment variable " + key + " must be " + what + ": " + v);
            return null;
        }
        return v;
    }

    private static Integer port(Map<String, String> env, List<String> problems) {
        String v = Variable.DB_PORT.in(env);
        if (v == null) {
            return null;
        }
        try {
            int port = Integer.parseInt(v);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        problems.add("Environment variable DB_PORT must be a port number (1-65535): " + v);
        return null;
    }

    /** {@code sslmode} and {@code sslrootcert} from a query string: the only options a connection takes from here. */
    private static String[] options(Map<String, String> env, List<String> problems) {
        String v = Variable.DB_CONNECTION_OPTIONS.orDefault(env);
        // without an sslmode, the safe one: the server's certificate and host name are verified
        String[] result = {"verify-full", null};
        for (String pair : v.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String val = eq < 0 ? "" : pair.substring(eq + 1);
            if (key.equals("sslmode") && SSL_MODES.contains(val)) {
                result[0] = val;
            } else if (key.equals("sslrootcert") && CERT_FILE.matcher(val).matches()) {
                result[1] = val;
            } else {
                problems.add("Environment variable DB_CONNECTION_OPTIONS must be sslmode=<"
                        + String.join("|", SSL_MODES)
                        + ">[&sslrootcert=<file>] (a file name in the layer's certs/ or an absolute path): " + v);
                return new String[] {"verify-full", null};
            }
        }
        return result;
    }

    private static boolean iamAuth(Map<String, String> env, List<String> problems) {
        String v = Variable.DB_IAM_AUTH.orDefault(env);
        if (v.toLowerCase(Locale.ROOT).equals("false")) {
            return false;
        }
        if (v.toLowerCase(Locale.ROOT).equals("true")) {
            return true;
        }
        problems.add("Environment variable DB_IAM_AUTH must be 'true' or 'false': " + v);
        return false;
    }

    private static String iamUser(Map<String, String> env, List<String> problems) {
        String user = Variable.DB_USER.in(env);
        if (user == null) {
            problems.add("Missing required environment variable: DB_USER (the database user IAM tokens are signed for, "
                    + "with DB_IAM_AUTH=true)");
            return null;
        }
        return matching(env, Variable.DB_USER, IDENTIFIER, "a database user name (letters, digits, '_', '$', '-')",
                problems);
    }
}
