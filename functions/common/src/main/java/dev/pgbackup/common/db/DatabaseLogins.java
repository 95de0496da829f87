package dev.pgbackup.common.db;

import dev.pgbackup.common.auth.SecretSource;
import dev.pgbackup.common.config.DatabaseSource;
import dev.pgbackup.common.failure.Failure;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The environment's database connection as its source gives it: the SSM URL or the Secrets Manager secret (read
 * through the stack's cached {@link SecretSource}, never during init), with the layer's certificates, and with a
 * fresh IAM token as the password when IAM database authentication is on. One per container; each job takes its
 * own {@link DatabaseLogin}, which re-reads the source once when the database refuses the credentials.
 */
public final class DatabaseLogins {
    private final DatabaseSource source;
    private final SecretSource secrets;
    private final Path certsDir;
    private final Supplier<IamAuthTokens> tokenFactory;
    private volatile IamAuthTokens tokens;

    /** @param tokens built on the first IAM token (it resolves the function's credentials and region) */
    public DatabaseLogins(DatabaseSource source, SecretSource secrets, Path certsDir, Supplier<IamAuthTokens> tokens) {
        this.source = source;
        this.secrets = secrets;
        this.certsDir = certsDir;
        this.tokenFactory = tokens;
    }

    /** A job's login: its own once-only re-read and the passwords to scrub from its output. */
    public DatabaseLogin login() {
        return new DatabaseLogin(this);
    }

    /** Where the credentials come from, for messages any caller may read. */
    String describe() {
        return source.describe();
    }

    /** The connection for one connection or tool starting now (from the cache while it is fresh). */
    public DbConnection current() {
        return signed(parse(secrets.get(source.secretName())));
    }

    /** The same after forgetting the cached value: what the source holds now (a rotated password). */
    DbConnection reread() {
        secrets.invalidate(source.secretName());
        return current();
    }

    /** As last read, without a call to SSM or Secrets Manager and without a token; empty if not at hand. */
    public Optional<DbConnection> atHand() {
        try {
            return secrets.peek(source.secretName()).map(this::parse);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private DbConnection parse(String value) {
        DbConnection parsed;
        if (source.fromSecret()) {
            parsed = RdsSecret.parse(value, source);
        } else {
            try {
                parsed = DbConnection.parse(value);
            } catch (IllegalArgumentException e) {
                throw Failure.server("The database URL in DB_URL_PARAMETER is not usable: " + e.getMessage());
            }
        }
        return parsed.withCertificatesIn(certsDir);
    }

    private DbConnection signed(DbConnection connection) {
        if (!source.iamAuth()) {
            return connection;
        }
        if (!DatabaseSource.TLS_MODES.contains(connection.sslMode())) {
            throw Failure.server("DB_IAM_AUTH=true needs TLS: the database URL in DB_URL_PARAMETER must set sslmode="
                    + "require, verify-ca or verify-full (RDS accepts IAM tokens only over TLS)");
        }
        return connection.withCredentials(source.iamUser(),
                tokens().token(connection.host(), connection.port(), source.iamUser()));
    }

    private IamAuthTokens tokens() {
        if (tokens == null) {
            synchronized (this) {
                if (tokens == null) {
                    tokens = tokenFactory.get();
                }
            }
        }
        return tokens;
    }
}
