package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbackup.common.jobs.JobMetrics;
import dev.pgbackup.template.SamTemplate;
import dev.pgbackup.template.Stack;
import dev.pgbackup.testsupport.RepoPaths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * template.yaml's alarms and dashboard watch what the code writes ({@link JobMetrics}): the same namespace, metric
 * names, and a dimension set each metric is written with, valued with the stack's app and environment. A renamed
 * metric or a dropped dimension would otherwise leave an alarm silent forever.
 */
class MetricsTemplateIT {
    static final SamTemplate TEMPLATE = SamTemplate.load(RepoPaths.root());
    static final Stack STACK = TEMPLATE.deploy("pharmatracker-production", Map.of("BucketName", "b",
            "DbUrlParameterName", "/d", "JwtSecretParameterName", "/j", "RestorePasskeyParameterName", "/p",
            "AppName", "pharmatracker", "EnvironmentName", "production", "DrillEnabled", "true",
            "BackupSizeDropAlarmFraction", "0.6"), Map.of());

    static Optional<JobMetrics.Metric> emitted(String name) {
        for (JobMetrics.Metric m : JobMetrics.Metric.values()) {
            if (m.metricName.equals(name)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** Why a reference to a metric does not match what the code writes; empty when it does. */
    static List<String> mismatches(String where, String namespace, String name, Map<String, String> dimensions) {
        List<String> wrong = new ArrayList<>();
        Optional<JobMetrics.Metric> metric = emitted(name);
        if (!JobMetrics.NAMESPACE.equals(namespace)) {
            wrong.add(where + ": namespace " + namespace);
        }
        if (metric.isEmpty()) {
            wrong.add(where + ": no code writes " + name);
        } else if (!metric.get().dimensions().contains(List.copyOf(dimensions.keySet()))) {
            wrong.add(where + ": " + name + " is not written with dimensions " + dimensions.keySet());
        }
        Map<String, String> mine = Map.of(JobMetrics.APP, "pharmatracker", JobMetrics.ENVIRONMENT, "production");
        dimensions.forEach((k, v) -> {
            if (mine.containsKey(k) && !mine.get(k).equals(v)) {
                wrong.add(where + ": " + k + " is " + v + ", not this stack's " + mine.get(k));
            }
        });
        return wrong;
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlarmOnTheNamespaceWatchesAMetricTheCodeWrites() {
        List<String> wrong = new ArrayList<>();
        TreeSet<String> watched = new TreeSet<>();
        for (String id : STACK.resourcesOfType("AWS::CloudWatch::Alarm")) {
            Map<String, Object> p = STACK.properties(id);
            if ("AWS/Lambda".equals(p.get("Namespace"))) {
                continue; // the workers' own errors
            }
            Map<String, String> dimensions = new java.util.LinkedHashMap<>();
            for (Map<String, Object> d : (List<Map<String, Object>>) p.get("Dimensions")) {
                dimensions.put((String) d.get("Name"), String.valueOf(d.get("Value")));
            }
            wrong.addAll(mismatches(id, (String) p.get("Namespace"), (String) p.get("MetricName"), dimensions));
            watched.add(p.get("MetricName") + "/" + p.get("Statistic"));
        }
        assertEquals(List.of(), wrong);
        assertEquals(new TreeSet<>(List.of("BackupFailed/Sum", "BackupSizeRatio/Minimum", "BackupSucceeded/Sum",
                "DrillUpToDate/Sum")), watched);
    }

    @Test
    void theSizeDropAlarmFiresBelowTheFractionAndOnlyOnData() {
        Map<String, Object> p = STACK.properties("BackupSizeDropAlarm");
        assertEquals("0.6", String.valueOf(p.get("Threshold")));
        assertEquals("LessThanThreshold", p.get("ComparisonOperator"));
        assertEquals("notBreaching", p.get("TreatMissingData"), "no backup, no ratio: that is NoRecentBackupAlarm's");
        assertEquals(List.of(STACK.ref("AlarmTopic")), p.get("AlarmActions"));
        assertEquals("0.5", String.valueOf(TEMPLATE.parameter("BackupSizeDropAlarmFraction").get("Default")));
    }

    @Test
    void theDashboardShowsEveryMetricTheCodeWritesAndNoOther() throws Exception {
        JsonNode body = new ObjectMapper().readTree((String) STACK.properties("BackupDashboard").get("DashboardBody"));
        List<String> wrong = new ArrayList<>();
        TreeSet<String> shown = new TreeSet<>();
        for (JsonNode widget : body.get("widgets")) {
            assertEquals(Stack.REGION, widget.at("/properties/region").asText());
            for (JsonNode m : widget.at("/properties/metrics")) {
                Map<String, String> dimensions = new java.util.LinkedHashMap<>();
                for (int i = 2; i + 1 < m.size() && m.get(i).isTextual(); i += 2) {
                    dimensions.put(m.get(i).asText(), m.get(i + 1).asText());
                }
                wrong.addAll(mismatches(widget.at("/properties/title").asText(), m.get(0).asText(), m.get(1).asText(),
                        dimensions));
                shown.add(m.get(1).asText());
            }
        }
        assertEquals(List.of(), wrong);
        TreeSet<String> all = new TreeSet<>();
        for (JobMetrics.Metric m : JobMetrics.Metric.values()) {
            all.add(m.metricName);
        }
        assertEquals(all, shown);
        assertTrue(body.toString().contains("{\"label\":\"BackupSizeDropAlarm\",\"value\":0.6}"),
                "the ratio's widget draws the alarm's threshold: " + body);
        assertEquals("pharmatracker-production-" + Stack.REGION,
                STACK.properties("BackupDashboard").get("DashboardName"));
    }
}
