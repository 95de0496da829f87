package dev.pgbackup.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;

/**
 * The variables a local run is started with (the process environment, or a test's map in its place): a blank value
 * counts as unset, so that {@code PORT= ./scripts/run-local.sh} falls back to the default as an unset one does.
 */
final class LocalEnvironment {
    private final Map<String, String> env;

    LocalEnvironment(Map<String, String> env) {
        this.env = env;
    }

    /** Every variable given, blank or not: the stack parameters are chosen from these names. */
    Map<String, String> all() {
        return env;
    }

    String get(String key, String fallback) {
        String value = env.get(key);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    int integer(String key, int fallback) {
        String value = get(key, null);
        try {
            return value == null ? fallback : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(key + " must be a whole number: " + value);
        }
    }

    /** Fails before anything starts, naming the variable to change, rather than half-way with a bind error. */
    static void requireFree(String host, int port, String variable) {
        if (port == 0) {
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " is in use: set " + variable + " to a free port");
        }
    }
}
