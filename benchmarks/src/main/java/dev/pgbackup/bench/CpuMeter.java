package dev.pgbackup.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of each party to a job (from /proc; clock ticks of 10 ms), so that a run on a shared, loaded machine still
 * says where the work went: this JVM itself (the product's Java side), the processes it waited for (pg_dump and
 * pg_restore of the product; bash, the tools and boto3 of the pipe), moto, and the PostgreSQL server (the postmaster,
 * its live children and the backends it reaped). Wall time varies with the load; these sums barely do.
 */
final class CpuMeter {
    private static final double TICK_MS = 10.0;
    private final long moto;
    private final long postmaster;

    /** {@code postmaster}: the server's pid; moto is found among this JVM's children (0: not measured). */
    CpuMeter(long postmaster) {
        this.postmaster = postmaster;
        this.moto = ProcessHandle.current().children()
                .filter(p -> p.info().commandLine().orElse("").contains("moto_server"))
                .findFirst().map(ProcessHandle::pid).orElse(0L);
    }

    /** The server's postmaster: the first line of postmaster.pid in its data directory (0 when unreadable). */
    static long postmasterOf(String dataDirectory) {
        try {
            return Long.parseLong(Files.readAllLines(Path.of(dataDirectory, "postmaster.pid")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    Map<String, Long> snapshot() {
        Map<String, Long> ms = new LinkedHashMap<>();
        String[] self = stat(ProcessHandle.current().pid());
        ms.put("jvm", self == null ? 0 : ticks(self, 13) + ticks(self, 14));
        ms.put("tools", self == null ? 0 : ticks(self, 15) + ticks(self, 16));
        String[] m = moto == 0 ? null : stat(moto);
        ms.put("moto", m == null ? 0 : ticks(m, 13) + ticks(m, 14));
        long server = 0;
        String[] pm = postmaster == 0 ? null : stat(postmaster);
        if (pm != null) {
            server = ticks(pm, 13) + ticks(pm, 14) + ticks(pm, 15) + ticks(pm, 16);
            server += ProcessHandle.of(postmaster).map(p -> p.children().mapToLong(c -> {
                String[] s = stat(c.pid());
                return s == null ? 0 : ticks(s, 13) + ticks(s, 14);
            }).sum()).orElse(0L);
        }
        ms.put("server", server);
        ms.replaceAll((k, v) -> (long) (v * TICK_MS));
        return ms;
    }

    /** CPU milliseconds per party between two snapshots. */
    static Map<String, Long> since(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new LinkedHashMap<>();
        after.forEach((k, v) -> d.put(k, v - before.getOrDefault(k, 0L)));
        d.put("total", d.values().stream().mapToLong(Long::longValue).sum());
        return d;
    }

    private static long ticks(String[] stat, int field) {
        return Long.parseLong(stat[field]);
    }

    /** The fields of /proc/pid/stat after the command name (which may hold spaces), numbered as in proc(5) minus 1. */
    private static String[] stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String rest = s.substring(s.lastIndexOf(')') + 2);
            String[] f = rest.split(" ");
            String[] all = new String[f.length + 2];
            all[0] = Long.toString(pid);
            all[1] = "comm";
            System.arraycopy(f, 0, all, 2, f.length);
            return all;
        } catch (IOException | RuntimeException gone) {
            return null;
        }
    }
}
