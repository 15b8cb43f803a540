package io.herald.smtp;

import io.herald.api.config.Configuration;
import io.herald.config.ConfigStore;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The settings of one SMTP listener, read from the configuration pid of its {@link ListenerRole} ({@code conf/smtp.cfg},
 * {@code conf/submission.cfg}, {@code conf/submissions.cfg}).
 *
 * @param listener         the listener's name, as hooks see it in {@code SessionInfo.listener()} (key {@code listener}, default: the pid)
 * @param bind             the address to listen on (key {@code bind}, default {@code 127.0.0.1})
 * @param port             the TCP port; 0 picks a free one, -1 disables the listener (key {@code port}, default from the role: 2525, 2587, 2465)
 * @param maxMessageSize   the SIZE limit in octets, RFC 1870 (key {@code maxMessageSize}, default 52428800)
 * @param maxRecipients    recipients per transaction; more get {@code 452 4.5.3} (key {@code maxRecipients}, default 100; RFC 5321 §4.5.3.1.8 asks for at least 100)
 * @param maxCommandLength a command line including CRLF, RFC 5321 §4.5.3.1.4 (key {@code maxCommandLength}, default 512, at least 512)
 * @param maxLineLength    a text line of a message including CRLF, RFC 5321 §4.5.3.1.6 (key {@code maxLineLength},
 *                         default {@value #DEFAULT_MAX_LINE_LENGTH}; 0 = unlimited, otherwise at least 1000, the length
 *                         every receiver must accept); a longer line refuses the message ({@code 500 5.5.6})
 * @param maxErrors        protocol errors per session before {@code 421 4.7.0} and close (key {@code maxErrors}, default 10)
 * @param commandTimeout   how long the server waits for the next command, RFC 5321 §4.5.3.2.7 (key {@code commandTimeout}, default 5m)
 * @param dataTimeout      how long the server waits for the next block of message data, RFC 5321 §4.5.3.2.5-6 (key {@code dataTimeout}, default 3m)
 * @param hookTimeout      the time limit of one hook or router call (key {@code hookTimeout}, default 10s)
 * @param hookThreads      the threads of the bounded executor that runs hooks and routers (key {@code hookThreads}, default 16)
 * @param role             what the listener is for (from the pid)
 * @param enabled          false: the listener is not started (key {@code enabled}, default true; {@code port = -1} also disables it)
 * @param starttls         offer STARTTLS, RFC 3207 (key {@code starttls}, default true; never on implicit TLS)
 * @param auth             offer AUTH, RFC 4954 (key {@code auth}, default false for MTA, true for submission)
 * @param requireAuth      refuse MAIL before AUTH with {@code 530 5.7.0} (key {@code requireAuth}, default true for submission)
 * @param senderCheck      MAIL FROM of an authenticated user must be an address the user owns, else {@code 553 5.7.1}
 *                         (key {@code senderCheck}, default true for submission, false for MTA)
 * @param relayNetworks    client networks (CIDR, e.g. {@code 10.0.0.0/8}) allowed to relay without AUTH
 *                         (key {@code relayNetworks}, default none)
 * @param maxConnectionsPerAddress connections at once from one client address (IPv6: one /64); one more is answered
 *                         {@code 421 4.7.0} and closed before any hook runs (key {@code maxConnectionsPerAddress}, default 50)
 * @param maxSessions      connections at once on this listener; one more is answered {@code 421 4.7.0} and closed
 *                         (key {@code maxSessions}, default 1000)
 * @param maxUnsentReplyBytes replies queued for a client that does not read them: above this many octets the session
 *                         stops reading (and so stops answering) until the client has taken some (key
 *                         {@code maxUnsentReplyBytes}, default 65536); bounds the memory a pipelining flood can pin
 * @param shutdownGrace    how long stopping the server waits for this listener's sessions (key {@code shutdownGrace},
 *                         default 5s): a message whose end of data was received and whose commit is under way gets
 *                         the commit's outcome ({@code 250}, or {@code 4xx}) and then {@code 421 4.3.2}; every other
 *                         session gets {@code 421 4.3.2} at once. A session still open at the end is cut off
 */
public record SmtpSettings(String listener, String bind, int port, long maxMessageSize, int maxRecipients,
                           int maxCommandLength, int maxLineLength, int maxErrors, Duration commandTimeout,
                           Duration dataTimeout, Duration hookTimeout, int hookThreads,
                           ListenerRole role, boolean enabled, boolean starttls, boolean auth, boolean requireAuth,
                           boolean senderCheck, List<String> relayNetworks, int maxConnectionsPerAddress,
                           int maxSessions, int maxUnsentReplyBytes, Duration shutdownGrace) {

    /** The pid of the MTA listener. */
    public static final String PID = "smtp";

    /**
     * The default {@code maxLineLength}. RFC 5321 §4.5.3.1 makes 1000 octets the least a receiver must accept and asks
     * for no limits "to the maximum extent possible"; real mail has longer lines (generated HTML, base64 without line
     * breaks; up to 48 KB in the shared corpus), and Postfix accepts them. 64 KiB takes all of those and still bounds
     * what a line-oriented reader downstream (filters, IMAP clients) has to hold.
     */
    public static final int DEFAULT_MAX_LINE_LENGTH = 65_536;

    public SmtpSettings {
        relayNetworks = List.copyOf(relayNetworks);
    }

    /** The settings of the MTA listener (pid {@code smtp}). */
    public static SmtpSettings from(Configuration c) {
        return from(ListenerRole.MTA, c);
    }

    /** Reads the settings; a wrong value throws a {@link io.herald.api.config.ConfigurationException} naming file, key, value and what is allowed. */
    public static SmtpSettings from(ListenerRole role, Configuration c) {
        String listener = c.get("listener", role.pid());
        if (!listener.matches("[A-Za-z0-9_.-]+")) throw c.invalid("listener", listener, "a name of letters, digits, '.', '_' or '-'");
        String bind = c.get("bind", "127.0.0.1");
        int port = c.getInt("port", role.defaultPort(), -1, 65535);
        long maxMessageSize = c.getLong("maxMessageSize", 52_428_800L, 1, Long.MAX_VALUE / 2);
        int maxRecipients = c.getInt("maxRecipients", 100, 1, 1_000_000);
        int maxCommandLength = c.getInt("maxCommandLength", 512, 512, 1 << 20);
        int maxLineLength = c.getInt("maxLineLength", DEFAULT_MAX_LINE_LENGTH, 0, Integer.MAX_VALUE);
        if (maxLineLength != 0 && maxLineLength < 1000)
            throw c.invalid("maxLineLength", String.valueOf(maxLineLength), "0 (unlimited) or a whole number of at least 1000");
        int maxErrors = c.getInt("maxErrors", 10, 1, 100_000);
        Duration commandTimeout = positive(c, "commandTimeout", Duration.ofMinutes(5));
        Duration dataTimeout = positive(c, "dataTimeout", Duration.ofMinutes(3));
        Duration hookTimeout = positive(c, "hookTimeout", Duration.ofSeconds(10));
        int hookThreads = c.getInt("hookThreads", 16, 1, 1024);
        boolean enabled = c.getBoolean("enabled", true) && port >= 0;
        boolean starttls = !role.implicitTls() && c.getBoolean("starttls", true);
        boolean auth = c.getBoolean("auth", role.submission());
        boolean requireAuth = c.getBoolean("requireAuth", role.submission());
        if (requireAuth && !auth) throw c.invalid("requireAuth", "true", "false when auth = false (a client could never send)");
        boolean senderCheck = c.getBoolean("senderCheck", role.submission());
        List<String> networks = new ArrayList<>();
        for (String n : c.getList("relayNetworks", List.of())) {
            if (n.isBlank()) continue;
            if (Cidr.parse(n.trim()) == null) throw c.invalid("relayNetworks", n, "a list of IP networks in CIDR notation, e.g. 10.0.0.0/8, ::1/128");
            networks.add(n.trim());
        }
        int maxConnectionsPerAddress = c.getInt("maxConnectionsPerAddress", 50, 1, 1_000_000);
        int maxSessions = c.getInt("maxSessions", 1000, 1, 1_000_000);
        int maxUnsentReplyBytes = c.getInt("maxUnsentReplyBytes", 65_536, 1024, 1 << 30);
        Duration shutdownGrace = positive(c, "shutdownGrace", Duration.ofSeconds(5));
        return new SmtpSettings(listener, bind, port, maxMessageSize, maxRecipients, maxCommandLength, maxLineLength,
                maxErrors, commandTimeout, dataTimeout, hookTimeout, hookThreads, role, enabled, starttls, auth,
                requireAuth, senderCheck, networks, maxConnectionsPerAddress, maxSessions, maxUnsentReplyBytes, shutdownGrace);
    }

    /** The MTA defaults, with a port; for tests and embedding. */
    public static SmtpSettings defaults(int port) {
        return from(new ConfigStore.MapConfiguration(PID, Map.of("port", String.valueOf(port))));
    }

    /** True when {@code address} is in one of {@link #relayNetworks()}. */
    public boolean trusted(InetAddress address) {
        for (String n : relayNetworks) {
            Cidr c = Cidr.parse(n);
            if (c != null && c.contains(address)) return true;
        }
        return false;
    }

    private static Duration positive(Configuration c, String key, Duration def) {
        Duration d = c.getDuration(key, def);
        if (d.isZero() || d.isNegative()) throw c.invalid(key, c.get(key, ""), "a positive duration with a unit ms, s, m, h or d (e.g. 30s)");
        return d;
    }

    /** An IP network; parsed from literals only (never a DNS lookup). */
    record Cidr(byte[] network, int prefix) {
        static Cidr parse(String s) {
            int slash = s.indexOf('/');
            String ip = slash < 0 ? s : s.substring(0, slash);
            if (!ip.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) return null;
            byte[] b;
            try {
                b = InetAddress.getByName(ip).getAddress();
            } catch (UnknownHostException e) {
                return null;
            }
            int prefix = b.length * 8;
            if (slash >= 0) {
                String p = s.substring(slash + 1);
                if (!p.matches("[0-9]{1,3}")) return null;
                prefix = Integer.parseInt(p);
                if (prefix > b.length * 8) return null;
            }
            return new Cidr(b, prefix);
        }

        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) return false;
            for (int i = 0; i < prefix; i++) {
                int mask = 0x80 >> (i % 8);
                if ((b[i / 8] & mask) != (network[i / 8] & mask)) return false;
            }
            return true;
        }
    }
}
