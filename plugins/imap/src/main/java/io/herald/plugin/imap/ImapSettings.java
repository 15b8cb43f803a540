package io.herald.plugin.imap;

import io.herald.api.config.Configuration;

import java.time.Duration;

/**
 * The IMAP plugin's configuration ({@code conf/imap.cfg}; every key is optional).
 *
 * @param bind             the address both listeners bind (key {@code bind}, default {@code 127.0.0.1})
 * @param port             IMAP with STARTTLS (key {@code port}, default 2143; 0 any free port; -1 off)
 * @param tlsPort          IMAP over implicit TLS, RFC 8314 (key {@code tls.port}, default 2993; 0 any free port; -1 off)
 * @param maxLiteral       the largest literal accepted, octets (key {@code maxLiteralSize}, default 50 MiB): APPEND
 *                         of a bigger message is refused with {@code NO [TOOBIG]} before the client sends it
 * @param maxCommandLength the longest command without its literals, octets (key {@code maxCommandLength}, default
 *                         64 KiB; long UID sets are the usual reason for long commands): longer ones get {@code BAD}
 * @param idleTimeout      the autologout timer of a session outside IDLE (key {@code timeout}, default 30m, the
 *                         minimum RFC 3501 §5.4 allows)
 * @param idleCommandTimeout how long IDLE may last before the server ends the session (key {@code idle.timeout},
 *                         default 30m, RFC 2177: clients re-issue IDLE at least every 29 minutes)
 * @param maxBadCommands   consecutive {@code BAD} replies after which the session is closed with {@code BYE}
 *                         (key {@code maxBadCommands}, default 20)
 * @param workerThreads    threads that run commands off the network threads (key {@code threads}, default 8)
 * @param maxSessions      connections at once on both ports together (key {@code maxSessions}, default 1000, as SMTP):
 *                         one more is greeted {@code * BYE [UNAVAILABLE]} and closed
 * @param maxConnectionsPerAddress connections at once from one client address (IPv6: one /64) on both ports together
 *                         (key {@code maxConnectionsPerAddress}, default 50, as SMTP): one more gets the same BYE
 * @param loginTimeout     how long a connection may stay without logging in, from connect (TLS handshake included);
 *                         then {@code * BYE} and close (key {@code loginTimeout}, default 60s; RFC 9051 §5.4)
 */
public record ImapSettings(String bind, int port, int tlsPort, long maxLiteral, int maxCommandLength, Duration idleTimeout,
                           Duration idleCommandTimeout, int maxBadCommands, int workerThreads, int maxSessions,
                           int maxConnectionsPerAddress, Duration loginTimeout) {

    public static final int DEFAULT_PORT = 2143;
    public static final int DEFAULT_TLS_PORT = 2993;

    public static ImapSettings from(Configuration c) {
        Duration timeout = c.getDuration("timeout", Duration.ofMinutes(30));
        if (timeout.isNegative() || timeout.isZero()) throw c.invalid("timeout", c.get("timeout", ""), "a positive duration, e.g. 30m");
        Duration idle = c.getDuration("idle.timeout", Duration.ofMinutes(30));
        if (idle.isNegative() || idle.isZero()) throw c.invalid("idle.timeout", c.get("idle.timeout", ""), "a positive duration, e.g. 30m");
        Duration login = c.getDuration("loginTimeout", Duration.ofSeconds(60));
        if (login.compareTo(Duration.ofSeconds(1)) < 0) throw c.invalid("loginTimeout", c.get("loginTimeout", ""), "a duration of at least 1s, e.g. 60s");
        return new ImapSettings(c.get("bind", "127.0.0.1"),
                c.getInt("port", DEFAULT_PORT, -1, 65535),
                c.getInt("tls.port", DEFAULT_TLS_PORT, -1, 65535),
                c.getLong("maxLiteralSize", 50L * 1024 * 1024, 1024, Integer.MAX_VALUE - 1024),
                c.getInt("maxCommandLength", 64 * 1024, 1024, 16 * 1024 * 1024),
                timeout, idle,
                c.getInt("maxBadCommands", 20, 1, 100_000),
                c.getInt("threads", 8, 1, 256),
                c.getInt("maxSessions", 1000, 1, 1_000_000),
                c.getInt("maxConnectionsPerAddress", 50, 1, 1_000_000),
                login);
    }
}
