package io.herald.dns;

import io.herald.api.config.Configuration;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings of the core's DNS resolver (pid {@code dns}, file {@code conf/dns.cfg}).
 *
 * @param servers the resolvers to ask, in order ({@code servers = 127.0.0.1:5353, [::1]:53}); empty: the system's
 *                (from {@code /etc/resolv.conf}, as dnsjava reads it)
 * @param timeout the time limit of one lookup, all tries and servers together ({@code timeout}, default 5s)
 * @param retries how often a query is sent again to a server that did not answer ({@code retries}, default 1)
 * @param cache   keep answers for their time to live ({@code cache}, default true)
 */
public record DnsSettings(List<InetSocketAddress> servers, Duration timeout, int retries, boolean cache) {

    public static final String PID = "dns";

    public DnsSettings {
        servers = List.copyOf(servers);
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
    }

    public static DnsSettings defaults() {
        return new DnsSettings(List.of(), Duration.ofSeconds(5), 1, true);
    }

    /** Reads {@code conf/dns.cfg}; a wrong value is refused naming the file, key, value and what is allowed. */
    public static DnsSettings from(Configuration c) {
        DnsSettings d = defaults();
        List<InetSocketAddress> servers = new ArrayList<>();
        for (String s : c.getList("servers", List.of())) {
            InetSocketAddress a = parseServer(s);
            if (a == null) throw c.invalid("servers", s, "a list of IP addresses with an optional port, e.g. 127.0.0.1:5353, [::1]:53, 192.0.2.1");
            servers.add(a);
        }
        Duration timeout = c.getDuration("timeout", d.timeout());
        if (timeout.isZero()) throw c.invalid("timeout", c.get("timeout", ""), "a positive duration, e.g. 5s");
        return new DnsSettings(servers, timeout, c.getInt("retries", d.retries(), 0, 10), c.getBoolean("cache", d.cache()));
    }

    /** {@code 192.0.2.1}, {@code 192.0.2.1:5353}, {@code ::1}, {@code [::1]:5353}; literals only, never a lookup. */
    static InetSocketAddress parseServer(String s) {
        String host = s.trim();
        int port = 53;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) return null;
            String rest = host.substring(close + 1);
            host = host.substring(1, close);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) return null;
                port = port(rest.substring(1));
            }
        } else if (host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            port = port(host.substring(host.indexOf(':') + 1));
            host = host.substring(0, host.indexOf(':'));
        }
        if (port < 1) return null;
        if (!host.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) return null;
        try {
            return new InetSocketAddress(java.net.InetAddress.getByName(host), port);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    private static int port(String p) {
        if (!p.matches("[0-9]{1,5}")) return -1;
        int n = Integer.parseInt(p);
        return n >= 1 && n <= 65535 ? n : -1;
    }
}
