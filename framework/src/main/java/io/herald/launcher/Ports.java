package io.herald.launcher;

import io.herald.api.config.ConfigurationException;
import io.herald.config.ConfigStore;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one rule that moves every port: {@code --port-offset N} adds N to each listener's port, as configured in
 * {@code conf/<pid>.cfg} or else its built-in default (DESIGN §5). A port configured as 0 (any free port) stays 0.
 * The rule is applied to each file as it is read ({@link #offset}), so a port changed while the server runs is
 * moved, or refused, like one read at start-up.
 *
 * <p>A new listener adds one line to {@link #LISTENERS}; nothing else needs to change.
 */
public final class Ports {

    /** A listener's port: configuration pid, key and default. */
    public record Listener(String pid, String key, int defaultPort) { }

    /**
     * Every listener the server has, the core's and the protocol plugins' (a plugin's listener is configured in its
     * own {@code conf/<pid>.cfg}, and the moved port reaches it in that configuration, like the core's).
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
     * The rule as a configuration {@link ConfigStore.Adjustment}: applied to each file every time it is read, at
     * start-up and when it changes while the server runs, so that a changed port is moved too. A value that is not a
     * port (not a whole number from -1 to 65535) is left as it is, for its component to refuse naming the file, the
     * key and the value; a port the offset would move beyond 65535 is refused here, the same way.
     *
     * @throws IllegalArgumentException when the offset is outside 0..{@link #MAX_OFFSET}
     */
    public static ConfigStore.Adjustment offset(int offset) {
        if (offset < 0 || offset > MAX_OFFSET) {
            throw new IllegalArgumentException("--port-offset must be from 0 to " + MAX_OFFSET + ", not " + offset);
        }
        if (offset == 0) return ConfigStore.Adjustment.NONE;
        return (pid, values) -> {
            Map<String, String> out = values;
            for (Listener l : LISTENERS) {
                if (!l.pid().equals(pid)) continue;
                String raw = values.get(l.key());
                int base;
                if (raw == null || raw.isBlank()) {
                    base = l.defaultPort();
                } else {
                    try {
                        base = Integer.parseInt(raw);
                    } catch (NumberFormatException e) {
                        continue;   // not a number: the component refuses it
                    }
                    if (base < -1 || base > 65535) continue;   // likewise
                }
                if (base <= 0) continue;   // 0: any free port; -1: disabled
                int moved = base + offset;
                if (moved > 65535) {
                    throw new ConfigurationException(pid + ".cfg", l.key(), raw == null ? Integer.toString(base) : raw,
                            "a port from 1 to " + (65535 - offset) + ": --port-offset " + offset + " would move it to " + moved);
                }
                if (out == values) out = new LinkedHashMap<>(values);
                out.put(l.key(), Integer.toString(moved));
            }
            return out;
        };
    }

    /**
     * Reads every listener's port as the server will (moved by the store's adjustment), before the start: a wrong one
     * throws the {@link ConfigurationException} that names its file, key and value.
     */
    public static void check(ConfigStore files) {
        for (Listener l : LISTENERS) files.get(l.pid()).getInt(l.key(), l.defaultPort(), -1, 65535);
    }
}
