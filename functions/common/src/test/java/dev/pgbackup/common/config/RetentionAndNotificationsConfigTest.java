package dev.pgbackup.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The variables of the retention tiers and the job notices: defaults that change nothing, bad values named. */
class RetentionAndNotificationsConfigTest {
    @Test
    void byDefaultTheTiersAreOffAndNothingIsAnnounced() {
        Config c = Config.from(ConfigTest.minimal());
        assertEquals(new Config.RetentionSettings(30, 10, java.time.Duration.ofDays(7), 0, 0, 0, 3), c.retention());
        assertFalse(c.retention().tiered(), "a stack without the new variables keeps the newest-N rule");
        assertEquals(Notifications.OFF, c.notifications());
        assertFalse(c.notifications().any());
    }

    @Test
    void theTiersAndTheNoticesAreRead() {
        Map<String, String> env = ConfigTest.minimal();
        env.putAll(Map.of("RETENTION_DAILY_DAYS", "7", "RETENTION_WEEKLY_WEEKS", "4", "RETENTION_MONTHLY_MONTHS", "12",
                "RETENTION_MIN_COUNT", "0", "EVENT_BUS_NAME", "default",
                "NOTIFICATION_TOPIC_ARN", "arn:aws:sns:ap-south-1:123456789012:pharmatracker-alarms"));
        Config c = Config.from(env);
        assertEquals(7, c.retention().dailyDays());
        assertEquals(4, c.retention().weeklyWeeks());
        assertEquals(12, c.retention().monthlyMonths());
        assertEquals(0, c.retention().minCount());
        assertTrue(c.retention().tiered());
        assertEquals(new Notifications("default", "arn:aws:sns:ap-south-1:123456789012:pharmatracker-alarms"),
                c.notifications());
    }

    @Test
    void emptyMeansOff() {
        Map<String, String> env = ConfigTest.minimal();
        env.putAll(Map.of("EVENT_BUS_NAME", "", "NOTIFICATION_TOPIC_ARN", " "));
        Config c = Config.from(env);
        assertNull(c.notifications().eventBus());
        assertNull(c.notifications().topicArn());
    }

    @Test
    void badValuesAreRefusedWithTheirName() {
        Map<String, String> env = ConfigTest.minimal();
        env.putAll(Map.of("RETENTION_DAILY_DAYS", "-1", "RETENTION_WEEKLY_WEEKS", "four", "RETENTION_MIN_COUNT", "-3",
                "EVENT_BUS_NAME", "my bus", "NOTIFICATION_TOPIC_ARN", "arn:aws:sns:us-east-1:123:alarms.fifo"));
        String message = assertThrows(IllegalStateException.class, () -> Config.from(env)).getMessage();
        assertTrue(message.contains("Environment variable RETENTION_DAILY_DAYS must be at least 0: -1"), message);
        assertTrue(message.contains("Environment variable RETENTION_WEEKLY_WEEKS must be a whole number: four"),
                message);
        assertTrue(message.contains("Environment variable RETENTION_MIN_COUNT must be at least 0: -3"), message);
        assertTrue(message.contains("Environment variable EVENT_BUS_NAME must be an event bus name (1-256 letters, "
                + "digits, '.', '_' or '-'), or empty for no events: my bus"), message);
        assertTrue(message.contains("Environment variable NOTIFICATION_TOPIC_ARN must be the ARN of a standard SNS "
                + "topic (arn:aws:sns:<region>:<account>:<name>), or empty for no messages: "
                + "arn:aws:sns:us-east-1:123:alarms.fifo"), message);
    }
}
