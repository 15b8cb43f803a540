package io.herald.http;

import io.herald.api.config.Configuration;

/**
 * The HTTP listener's settings, {@code conf/http.cfg} (DESIGN §5: admin API, SSE, health, metrics).
 *
 * @param bind    the address to listen on (key {@code bind}, default {@code 127.0.0.1})
 * @param port    the port (key {@code port}, default 8025; 0 any free port; -1 off)
 * @param enabled false: no HTTP listener (key {@code enabled}, default true)
 * @param tls     serve HTTPS with the server's certificate ({@code tls.cfg}) instead of HTTP (key {@code tls}, default false)
 * @param threads requests served at the same time, open event streams included (key {@code threads}, default 64)
 */
public record HttpSettings(String bind, int port, boolean enabled, boolean tls, int threads) {

    public static final String PID = "http";
    public static final int DEFAULT_PORT = 8025;

    public static HttpSettings from(Configuration c) {
        int port = c.getInt("port", DEFAULT_PORT, -1, 65535);
        return new HttpSettings(c.get("bind", "127.0.0.1"), port, c.getBoolean("enabled", true) && port >= 0,
                c.getBoolean("tls", false), c.getInt("threads", 64, 2, 10_000));
    }
}
