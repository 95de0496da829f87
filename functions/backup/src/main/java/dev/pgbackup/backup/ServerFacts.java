package dev.pgbackup.backup;

import dev.pgbackup.common.db.DbConnection;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** The server and the database as the job's first connection found them; {@code schemas}: the user schemas. */
record ServerFacts(int major, String version, long databaseBytes, List<String> schemas) {
    static ServerFacts read(DbConnection db) throws SQLException {
        try (Connection c = db.open(); Statement s = c.createStatement()) {
            List<String> schemas = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("select nspname from pg_namespace where nspname !~ '^pg_' "
                    + "and nspname <> 'information_schema'")) {
                while (rs.next()) {
                    schemas.add(rs.getString(1));
                }
            }
            try (ResultSet rs = s.executeQuery("select current_setting('server_version_num')::int, "
                    + "current_setting('server_version'), pg_database_size(current_database())")) {
                rs.next();
                return new ServerFacts(rs.getInt(1) / 10000, rs.getString(2), rs.getLong(3), schemas);
            }
        }
    }

}
