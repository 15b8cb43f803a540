package io.herald.outbound;

import io.herald.api.config.Configuration;

import java.time.Duration;

/**
 * Settings of the outbound SMTP client (pid {@code outbound}, file {@code conf/outbound.cfg}). The time limits are
 * those of RFC 5321 §4.5.3.2.
 *
 * @param port               the port for next hops that name none ({@code port}, default 25)
 * @param heloName           the name sent in EHLO/HELO ({@code heloName}, default: {@code herald.cfg hostname})
 * @param connectTimeout     to open a TCP connection ({@code timeout.connect}, default 30s)
 * @param greetingTimeout    for the 220 greeting (§4.5.3.2.1, {@code timeout.greeting}, default 5m)
 * @param commandTimeout     for the reply to EHLO, STARTTLS, AUTH, MAIL, RCPT, RSET (§4.5.3.2.2-3,
 *                           {@code timeout.command}, default 5m)
 * @param dataInitTimeout    for the 354 reply to DATA (§4.5.3.2.4, {@code timeout.dataInit}, default 2m)
 * @param dataBlockTimeout   for each block of message data to be sent (§4.5.3.2.5, {@code timeout.dataBlock}, 3m)
 * @param dataEndTimeout     for the reply after the final dot (§4.5.3.2.6, {@code timeout.dataEnd}, default 10m)
 * @param maxConnectionsPerDestination open connections to one address and port at most
 *                           ({@code maxConnectionsPerDestination}, default 10); more senders wait for one
 * @param maxRecipients      recipients per transaction ({@code maxRecipientsPerTransaction}, default 100, the minimum
 *                           a server must accept, §4.5.3.1.8); more go in further transactions
 * @param idleTime           how long an idle connection is kept for the next message to the same destination
 *                           ({@code connectionIdleTime}, default 5s; 0 closes after each message)
 * @param maxTransactionsPerConnection transactions on one connection before it is closed
 *                           ({@code maxTransactionsPerConnection}, default 100)
 * @param bind               the local address outbound connections come from ({@code bind}, default: chosen by
 *                           the system); with several servers on one machine, each sends from its own address
 * @param maxHops            a message with more {@code Received:} fields is bounced as a mail loop (RFC 5321 §6.3,
 *                           {@code maxHops}, default 100)
 */
public record OutboundSettings(int port, String heloName, Duration connectTimeout, Duration greetingTimeout,
                               Duration commandTimeout, Duration dataInitTimeout, Duration dataBlockTimeout,
                               Duration dataEndTimeout, int maxConnectionsPerDestination, int maxRecipients,
                               Duration idleTime, int maxTransactionsPerConnection, int maxHops,
                               java.util.Optional<java.net.InetAddress> bind) {

    public static final String PID = "outbound";

    public static OutboundSettings defaults(String heloName) {
        return new OutboundSettings(25, heloName, Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofMinutes(5),
                Duration.ofMinutes(2), Duration.ofMinutes(3), Duration.ofMinutes(10), 10, 100, Duration.ofSeconds(5), 100, 100,
                java.util.Optional.empty());
    }

    /** Reads {@code conf/outbound.cfg}; a wrong value is refused naming the file, key, value and what is allowed. */
    public static OutboundSettings from(Configuration c, String defaultHeloName) {
        OutboundSettings d = defaults(defaultHeloName);
        String helo = c.get("heloName", defaultHeloName);
        if (!helo.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f.:Iv]+\\]"))
            throw c.invalid("heloName", helo, "a domain name or an address literal such as [192.0.2.1]");
        Duration idle = c.getDuration("connectionIdleTime", d.idleTime());
        return new OutboundSettings(c.getInt("port", d.port(), 1, 65535), helo,
                positive(c, "timeout.connect", d.connectTimeout()), positive(c, "timeout.greeting", d.greetingTimeout()),
                positive(c, "timeout.command", d.commandTimeout()), positive(c, "timeout.dataInit", d.dataInitTimeout()),
                positive(c, "timeout.dataBlock", d.dataBlockTimeout()), positive(c, "timeout.dataEnd", d.dataEndTimeout()),
                c.getInt("maxConnectionsPerDestination", d.maxConnectionsPerDestination(), 1, 10_000),
                c.getInt("maxRecipientsPerTransaction", d.maxRecipients(), 1, 100_000),
                idle, c.getInt("maxTransactionsPerConnection", d.maxTransactionsPerConnection(), 1, 1_000_000),
                c.getInt("maxHops", d.maxHops(), 1, 10_000), bind(c));
    }

    private static java.util.Optional<java.net.InetAddress> bind(Configuration c) {
        java.util.Optional<String> v = c.get("bind").map(String::trim).filter(x -> !x.isEmpty());
        if (v.isEmpty()) return java.util.Optional.empty();
        String ip = v.get();
        if (!ip.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) throw c.invalid("bind", ip, "an IP address of this machine, e.g. 127.0.0.2");
        try {
            return java.util.Optional.of(java.net.InetAddress.getByName(ip));
        } catch (java.net.UnknownHostException e) {
            throw c.invalid("bind", ip, "an IP address of this machine, e.g. 127.0.0.2");
        }
    }

    private static Duration positive(Configuration c, String key, Duration def) {
        Duration v = c.getDuration(key, def);
        if (v.isZero() || v.isNegative()) throw c.invalid(key, c.get(key, ""), "a positive duration with a unit ms, s, m, h or d (e.g. 30s)");
        return v;
    }
}
