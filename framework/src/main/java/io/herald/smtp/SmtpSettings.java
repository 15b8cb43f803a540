package io.herald.smtp;

import io.herald.api.config.Configuration;
import io.herald.config.ConfigStore;

import java.time.Duration;
import java.util.Map;

/**
 * The settings of one SMTP listener, read from the configuration pid {@value #PID} ({@code conf/smtp.cfg}).
 *
 * @param listener         the listener's name, as hooks see it in {@code SessionInfo.listener()} (key {@code listener}, default {@code smtp})
 * @param bind             the address to listen on (key {@code bind}, default {@code 127.0.0.1})
 * @param port             the TCP port; 0 picks a free one (key {@code port}, default 2525)
 * @param maxMessageSize   the SIZE limit in octets, RFC 1870 (key {@code maxMessageSize}, default 52428800)
 * @param maxRecipients    recipients per transaction; more get {@code 452 4.5.3} (key {@code maxRecipients}, default 100; RFC 5321 §4.5.3.1.8 asks for at least 100)
 * @param maxCommandLength a command line including CRLF, RFC 5321 §4.5.3.1.4 (key {@code maxCommandLength}, default 512, at least 512)
 * @param maxLineLength    a text line of a message including CRLF, RFC 5321 §4.5.3.1.6 (key {@code maxLineLength},
 *                         default 1000; 0 = unlimited, otherwise at least 1000)
 * @param maxErrors        protocol errors per session before {@code 421 4.7.0} and close (key {@code maxErrors}, default 10)
 * @param commandTimeout   how long the server waits for the next command, RFC 5321 §4.5.3.2.7 (key {@code commandTimeout}, default 5m)
 * @param dataTimeout      how long the server waits for the next block of message data, RFC 5321 §4.5.3.2.5-6 (key {@code dataTimeout}, default 3m)
 * @param hookTimeout      the time limit of one hook or router call (key {@code hookTimeout}, default 10s)
 * @param hookThreads      the threads of the bounded executor that runs hooks and routers (key {@code hookThreads}, default 16)
 */
public record SmtpSettings(String listener, String bind, int port, long maxMessageSize, int maxRecipients,
                           int maxCommandLength, int maxLineLength, int maxErrors, Duration commandTimeout,
                           Duration dataTimeout, Duration hookTimeout, int hookThreads) {

    public static final String PID = "smtp";

    /** Reads the settings; a wrong value throws a {@link io.herald.api.config.ConfigurationException} naming file, key, value and what is allowed. */
    public static SmtpSettings from(Configuration c) {
        String listener = c.get("listener", "smtp");
        if (!listener.matches("[A-Za-z0-9_.-]+")) throw c.invalid("listener", listener, "a name of letters, digits, '.', '_' or '-'");
        String bind = c.get("bind", "127.0.0.1");
        int port = c.getInt("port", 2525, 0, 65535);
        long maxMessageSize = c.getLong("maxMessageSize", 52_428_800L, 1, Long.MAX_VALUE / 2);
        int maxRecipients = c.getInt("maxRecipients", 100, 1, 1_000_000);
        int maxCommandLength = c.getInt("maxCommandLength", 512, 512, 1 << 20);
        int maxLineLength = c.getInt("maxLineLength", 1000, 0, Integer.MAX_VALUE);
        if (maxLineLength != 0 && maxLineLength < 1000)
            throw c.invalid("maxLineLength", String.valueOf(maxLineLength), "0 (unlimited) or a whole number of at least 1000");
        int maxErrors = c.getInt("maxErrors", 10, 1, 100_000);
        Duration commandTimeout = positive(c, "commandTimeout", Duration.ofMinutes(5));
        Duration dataTimeout = positive(c, "dataTimeout", Duration.ofMinutes(3));
        Duration hookTimeout = positive(c, "hookTimeout", Duration.ofSeconds(10));
        int hookThreads = c.getInt("hookThreads", 16, 1, 1024);
        return new SmtpSettings(listener, bind, port, maxMessageSize, maxRecipients, maxCommandLength, maxLineLength,
                maxErrors, commandTimeout, dataTimeout, hookTimeout, hookThreads);
    }

    /** The defaults, with a port; for tests and embedding. */
    public static SmtpSettings defaults(int port) {
        return from(new ConfigStore.MapConfiguration(PID, Map.of("port", String.valueOf(port))));
    }

    private static Duration positive(Configuration c, String key, Duration def) {
        Duration d = c.getDuration(key, def);
        if (d.isZero() || d.isNegative()) throw c.invalid(key, c.get(key, ""), "a positive duration with a unit ms, s, m, h or d (e.g. 30s)");
        return d;
    }
}
