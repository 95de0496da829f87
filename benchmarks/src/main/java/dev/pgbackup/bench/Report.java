package dev.pgbackup.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/** Medians and Markdown tables (for docs/benchmarks.md, with the command and date of the run). */
final class Report {
    private Report() {}

    /** The median of each run's time less its step, or -1 when the two were not measured run for run. */
    static long medianLess(List<Long> times, List<Long> steps) {
        if (times.isEmpty() || times.size() != steps.size()) {
            return -1;
        }
        List<Long> less = new ArrayList<>();
        for (int i = 0; i < times.size(); i++) {
            less.add(times.get(i) - steps.get(i));
        }
        return median(less);
    }

    static long median(Collection<Long> values) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static String ms(long millis) {
        return String.format("%,d", millis);
    }

    static String mb(long bytes) {
        return String.format("%.1f", bytes / 1e6);
    }

    static String ratio(long value, long baseline) {
        return baseline <= 0 ? "-" : String.format("%.2fx", (double) value / baseline);
    }

    /** A table: a header row, then rows; printed with aligned columns as Markdown. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();
        private final boolean[] right;

        Table(String... header) {
            rows.add(header);
            right = new boolean[header.length];
            for (int i = 1; i < header.length; i++) {
                right[i] = true; // numbers, except the first column
            }
        }

        Table row(Object... cells) {
            String[] r = new String[rows.get(0).length];
            for (int i = 0; i < r.length; i++) {
                r[i] = i < cells.length && cells[i] != null ? cells[i].toString() : "";
            }
            rows.add(r);
            return this;
        }

        void print() {
            int[] width = new int[rows.get(0).length];
            for (String[] r : rows) {
                for (int i = 0; i < r.length; i++) {
                    width[i] = Math.max(width[i], r[i].length());
                }
            }
            StringBuilder out = new StringBuilder();
            for (int n = 0; n < rows.size(); n++) {
                String[] r = rows.get(n);
                out.append('|');
                for (int i = 0; i < r.length; i++) {
                    String cell = right[i] ? pad(r[i], width[i], true) : pad(r[i], width[i], false);
                    out.append(' ').append(cell).append(" |");
                }
                out.append('\n');
                if (n == 0) {
                    out.append('|');
                    for (int i = 0; i < r.length; i++) {
                        out.append(right[i] ? "-".repeat(width[i] + 1) + ":|" : "-".repeat(width[i] + 2) + "|");
                    }
                    out.append('\n');
                }
            }
            System.out.print(out);
            System.out.flush();
        }

        private static String pad(String s, int width, boolean right) {
            String fill = " ".repeat(Math.max(0, width - s.length()));
            return right ? fill + s : s + fill;
        }
    }
}
