package io.herald.launcher;

import io.herald.api.config.Configuration;
import io.herald.config.ConfigStore;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one rule that moves every port: {@code --port-offset N} adds N to each listener's port, as configured in
 * {@code conf/<pid>.cfg} or else its built-in default (DESIGN §5). A port configured as 0 (any free port) stays 0.
 *
 * <p>A new listener adds one line to {@link #LISTENERS}; nothing else needs to change.
 */
public final class Ports {

    /** A listener's port: configuration pid, key and default. */
    public record Listener(String pid, String key, int defaultPort) { }

    /**
     * Every listener the server has, the core's and the protocol plugins' (a plugin's listener is configured in its
     * own {@code conf/<pid>.cfg}, and the moved port reaches it as an override of that configuration, like the core's).
     */
    public static final List<Listener> LISTENERS = List.of(
            new Listener("smtp", "port", 2525),
            new Listener("submission", "port", 2587),
            new Listener("submissions", "port", 2465),
            new Listener("imap", "port", 2143),        // plugins/imap: STARTTLS
            new Listener("imap", "tls.port", 2993),    // plugins/imap: implicit TLS
            new Listener("pop3", "port", 2110),        // plugins/pop3: STLS
            new Listener("pop3", "tls.port", 2995),    // plugins/pop3: implicit TLS
            new Listener("http", "port", 8025));

    public static final int MAX_OFFSET = 65535 - 8025;

    private Ports() { }

    /**
     * The overrides that move every listener by {@code offset}: pid → key → port.
     *
     * @param files the configuration from {@code conf/} (to move a configured port, not only the default)
     * @throws IllegalArgumentException when a moved port would leave 1..65535
     */
    public static Map<String, Map<String, String>> offsetOverrides(ConfigStore files, int offset) {
        if (offset < 0 || offset > MAX_OFFSET) {
            throw new IllegalArgumentException("--port-offset must be from 0 to " + MAX_OFFSET + ", not " + offset);
        }
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        if (offset == 0) return out;
        for (Listener l : LISTENERS) {
            Configuration c = files.get(l.pid());
            int base = c.getInt(l.key(), l.defaultPort(), -1, 65535);
            if (base <= 0) continue;   // 0: any free port; -1: disabled
            int moved = base + offset;
            if (moved > 65535) {
                throw new IllegalArgumentException("--port-offset " + offset + " moves " + l.pid() + "." + l.key()
                        + " (" + base + ") beyond 65535");
            }
            out.computeIfAbsent(l.pid(), k -> new LinkedHashMap<>()).put(l.key(), Integer.toString(moved));
        }
        return out;
    }
}
