package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The settings of a database as pg_db_role_setting stores them, set again on the restored database. */
class DatabaseSettingsTest {
    @Test
    void aPlainSettingIsOneLiteral() {
        assertEquals(Optional.of("ALTER DATABASE \"app\" SET statement_timeout TO '5min'"),
                AdminSession.settingStatement(null, "app", "statement_timeout=5min"));
        assertEquals(Optional.of("ALTER ROLE \"app_owner\" IN DATABASE \"app\" SET work_mem TO '64MB'"),
                AdminSession.settingStatement("app_owner", "app", "work_mem=64MB"));
        assertEquals(Optional.of("ALTER DATABASE \"app\" SET app.tenant TO 'it''s'"),
                AdminSession.settingStatement(null, "app", "app.tenant=it's"));
    }

    /** A list setting keeps its elements apart, quoted ones included (pg_dump does the same). */
    @Test
    void aListSettingIsOneLiteralPerElement() {
        assertEquals(Optional.of("ALTER DATABASE \"app\" SET search_path TO '$user', 'My Schema', 'public'"),
                AdminSession.settingStatement(null, "app", "search_path=\"$user\", \"My Schema\", public"));
        assertEquals(List.of("a\"b", "c"), SettingList.split("\"a\"\"b\",c"));
    }

    @Test
    void aNameThatIsNotASettingsIsNotWritten() {
        assertEquals(Optional.empty(), AdminSession.settingStatement(null, "app", "x; drop database app=1"));
        assertEquals(Optional.empty(), AdminSession.settingStatement(null, "app", "=1"));
    }
}
