package dev.pgbackup.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgbackup.common.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Embedded Metric Format lines in a function's log, read as CloudWatch reads them. */
public final class MetricLines {
    private MetricLines() {}

    /** Every line of {@code log} that carries an EMF directive, parsed. */
    public static List<JsonNode> in(String log) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : log.lines().toList()) {
            if (line.startsWith("{\"_aws\"")) {
                try {
                    lines.add(Json.MAPPER.readTree(line));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return lines;
    }

    /** The one line that declares {@code metric}; fails when none or several do. */
    public static JsonNode declaring(String log, String metric) {
        List<JsonNode> found = in(log).stream().filter(l -> declared(l).containsKey(metric)).toList();
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " metric lines declare " + metric + " in:\n" + log);
        }
        return found.get(0);
    }

    /** Metric name -> unit, as the directive declares them. */
    public static Map<String, String> declared(JsonNode line) {
        Map<String, String> units = new LinkedHashMap<>();
        line.at("/_aws/CloudWatchMetrics/0/Metrics").forEach(m -> units.put(m.get("Name").asText(),
                m.get("Unit").asText()));
        return units;
    }

    /** The dimension sets of the directive. */
    public static List<List<String>> dimensions(JsonNode line) {
        List<List<String>> sets = new ArrayList<>();
        line.at("/_aws/CloudWatchMetrics/0/Dimensions").forEach(set -> {
            List<String> names = new ArrayList<>();
            set.forEach(n -> names.add(n.asText()));
            sets.add(names);
        });
        return sets;
    }
}
