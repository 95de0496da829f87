package dev.pgbackup.local;

import dev.pgbackup.common.config.Config;
import java.io.PrintStream;

/**
 * What {@code ./scripts/run-local.sh} prints once the run is up: where everything is, how to fire the schedules and
 * a development token. Apart from {@link LocalRun} so that the run's wiring reads without the wording; secrets appear
 * only as where they came from (their printed defaults excepted).
 */
final class Banner {
    private Banner() {}

    static void print(PrintStream out, LocalRun run) {
        Config config = run.config();
        String base = "http://localhost:" + run.port();
        out.println();
        out.println("pg-backup local run: app '" + config.appName() + "', environment '" + config.environment() + "'");
        out.println("  API            " + base + "/api/setting/{backup,backups,restore,jobs/<jobId>}");
        EmbeddedDatabase embedded = run.embedded();
        if (embedded != null) {
            out.println(
                    "  PostgreSQL     embedded, database '" + embedded.database() + "' on 127.0.0.1:" + embedded.port()
                            + " (demo data; gone when this run stops)");
            out.println("                 inspect: layers/postgresql-client/build/bin/psql -h 127.0.0.1 -p "
                    + embedded.port() + " -U postgres -d " + embedded.database());
        } else {
            out.println("  PostgreSQL     DATABASE_URL (not shown)");
        }
        out.println("  S3 + SSM       " + run.awsEndpoint()
                + (run.motoStartedHere() ? " (moto, started by this run)" : " (AWS_ENDPOINT_URL)")
                + ", bucket '" + config.bucket() + "'");
        out.println("  JWT secret     " + run.seeded().jwtSecretNote() + " -> " + config.jwtSecretParameter());
        out.println("  Restore passkey " + run.seeded().passkeyNote() + " -> " + config.restorePasskeyParameter());
        out.println("  pg tools       " + config.pgToolsDir());
        out.println("  Another environment sharing this emulator and bucket:");
        out.println("    ENVIRONMENT=" + (config.environment().equals("production") ? "staging" : "production")
                + " PORT=" + (run.port() + 1) + " AWS_ENDPOINT_URL=" + run.awsEndpoint() + " ./scripts/run-local.sh");
        out.println();
        printSchedules(out, base, config);
        out.println();
        out.println("Development token (HS256, roles [" + config.jwt().requiredRole() + "], expires in "
                + LocalRun.TOKEN_LIFETIME.toHours() + " h):");
        out.println("export TOKEN=" + run.token());
        out.println();
        out.println("Ready on " + base + " (" + config.environment() + ") - Ctrl-C stops everything this run started");
        out.flush();
    }

    /** The local-only routes that stand in for EventBridge, as curl commands. */
    private static void printSchedules(PrintStream out, String base, Config config) {
        out.println("  Schedule       curl -X POST " + base + LocalRun.SCHEDULE_ROUTE.substring(5)
                + "   (what EventBridge sends the backup worker)");
        out.println("  Restore drill  curl -X POST " + base + LocalRun.DRILL_ROUTE.substring(5)
                + "   (the newest backup restored into a scratch database, checked, dropped)");
        out.println("  Refresh        curl -X POST " + base + LocalRun.REFRESH_ROUTE.substring(5) + "   " + config
                .refresh()
                .source().map(source -> "(a safety backup, then " + source + "'s newest backup restored here"
                        + (config.refresh().sanitizes() ? ", sanitised by " + config.refresh().sanitizeParameter() : "")
                        + ")")
                .orElse("(off: start with REFRESH_SOURCE_ENVIRONMENT=production)"));
    }
}
