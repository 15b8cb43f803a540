package io.herald.plugin.pop3;

import io.herald.api.config.Configuration;

import java.time.Duration;

/**
 * The POP3 plugin's configuration ({@code conf/pop3.cfg}); every key has a default (DESIGN §5 for the ports).
 *
 * @param bind             the address both listeners bind ({@code bind}, 127.0.0.1)
 * @param port             the STLS listener ({@code port}, 2110); 0 any free port, -1 disabled
 * @param tlsPort          the implicit-TLS listener ({@code tls.port}, 2995; RFC 8314 §3.3); 0 any free port, -1 disabled
 * @param stls             offer STLS on {@code port} ({@code stls}, true; RFC 2595 §4)
 * @param maxCommandLength longest command line in octets including CRLF ({@code maxCommandLength}, 255: RFC 2449 §4)
 * @param maxAuthLine      longest SASL response line during AUTH, including CRLF ({@code maxAuthLine}, 12288)
 * @param maxErrors        protocol errors before the connection is closed ({@code maxErrors}, 10)
 * @param idleTimeout      the autologout timer ({@code idleTimeout}, 10m: RFC 1939 §3 asks for at least 10 minutes)
 * @param threads          worker threads for mailbox reads and logins ({@code threads}, 8)
 * @param maxSessions      connections at once on both listeners together ({@code maxSessions}, 1000, as SMTP): one more
 *                         is answered {@code -ERR [SYS/TEMP] too many connections ...} and closed
 * @param maxConnectionsPerAddress connections at once from one client address (IPv6: one /64) on both listeners
 *                         ({@code maxConnectionsPerAddress}, 50, as SMTP); one more gets the same {@code -ERR}
 * @param loginTimeout     how long a connection may stay in the AUTHORIZATION state, from connect (TLS handshake
 *                         included; {@code loginTimeout}, 60s); then {@code -ERR} and close
 */
record Pop3Settings(String bind, int port, int tlsPort, boolean stls, int maxCommandLength, int maxAuthLine,
                    int maxErrors, Duration idleTimeout, int threads, int maxSessions, int maxConnectionsPerAddress,
                    Duration loginTimeout) {

    static final String PID = "pop3";
    /** The listener names, also {@link io.herald.api.auth.AuthContext#listener()} and the keys of the endpoints. */
    static final String STLS_LISTENER = "pop3";
    static final String TLS_LISTENER = "pop3s";

    static Pop3Settings from(Configuration c) {
        Duration idle = c.getDuration("idleTimeout", Duration.ofMinutes(10));
        if (idle.isNegative() || idle.compareTo(Duration.ofSeconds(1)) < 0)
            throw c.invalid("idleTimeout", c.get("idleTimeout", ""), "a duration of at least 1s (RFC 1939 asks for at least 10m)");
        Duration login = c.getDuration("loginTimeout", Duration.ofSeconds(60));
        if (login.compareTo(Duration.ofSeconds(1)) < 0)
            throw c.invalid("loginTimeout", c.get("loginTimeout", ""), "a duration of at least 1s, e.g. 60s");
        return new Pop3Settings(
                c.get("bind", "127.0.0.1"),
                c.getInt("port", 2110, -1, 65535),
                c.getInt("tls.port", 2995, -1, 65535),
                c.getBoolean("stls", true),
                c.getInt("maxCommandLength", 255, 64, 65536),
                c.getInt("maxAuthLine", 12288, 255, 1 << 20),
                c.getInt("maxErrors", 10, 1, 1000),
                idle,
                c.getInt("threads", 8, 1, 256),
                c.getInt("maxSessions", 1000, 1, 1_000_000),
                c.getInt("maxConnectionsPerAddress", 50, 1, 1_000_000),
                login);
    }
}
