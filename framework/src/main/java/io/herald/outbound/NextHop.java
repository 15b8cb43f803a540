package io.herald.outbound;

import io.herald.api.dns.DnsResolver;
import io.herald.api.dns.DnsResult;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * One host of a {@link io.herald.api.routing.Route.Relay} and the addresses it resolves to: {@code host},
 * {@code host:port}, an IPv4 literal, {@code [IPv6]} or {@code [IPv6]:port} (brackets also allowed around IPv4).
 *
 * @param host the host name or literal as written (for logs and {@code Remote-MTA})
 * @param port the port, or 0 for the default
 */
record NextHop(String host, int port) {

    /** Parses one entry of {@code Relay.hosts()}; a malformed entry is {@link IllegalArgumentException}. */
    static NextHop parse(String entry) {
        String s = entry.trim();
        if (s.isEmpty()) throw new IllegalArgumentException("empty next hop");
        String host = s;
        int port = 0;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("next hop without ']': " + entry);
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) throw new IllegalArgumentException("next hop: junk after ']': " + entry);
                port = port(rest.substring(1), entry);
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0) {
                if (s.indexOf(':') != colon) throw new IllegalArgumentException("IPv6 next hop needs brackets: " + entry);
                host = s.substring(0, colon);
                port = port(s.substring(colon + 1), entry);
            }
        }
        if (host.isEmpty()) throw new IllegalArgumentException("next hop without a host: " + entry);
        return new NextHop(host.toLowerCase(java.util.Locale.ROOT), port);
    }

    private static int port(String p, String entry) {
        if (!p.matches("[0-9]{1,5}") || Integer.parseInt(p) < 1 || Integer.parseInt(p) > 65535)
            throw new IllegalArgumentException("next hop with a bad port: " + entry);
        return Integer.parseInt(p);
    }

    boolean literal() {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    /** The outcome of resolving a next hop's addresses. */
    sealed interface Addresses {
        record Found(List<InetSocketAddress> addresses) implements Addresses { }
        /** The host has no address (no such domain, no A or AAAA): permanent for this host. */
        record None(String why) implements Addresses { }
        record Temporary(String why) implements Addresses { }
    }

    /** A literal as it is; a name by A then AAAA records (RFC 5321 §5.1 leaves the order to the client). */
    Addresses resolve(DnsResolver dns, int defaultPort) {
        int p = port == 0 ? defaultPort : port;
        if (literal()) {
            try {
                return new Addresses.Found(List.of(new InetSocketAddress(InetAddress.getByName(host), p)));
            } catch (UnknownHostException e) {
                return new Addresses.None("not an IP address: " + host);
            }
        }
        DnsResult<InetAddress> a = dns.a(host);
        DnsResult<InetAddress> aaaa = dns.aaaa(host);
        List<InetSocketAddress> out = new ArrayList<>();
        for (InetAddress ip : a.records()) out.add(new InetSocketAddress(ip, p));
        for (InetAddress ip : aaaa.records()) out.add(new InetSocketAddress(ip, p));
        if (!out.isEmpty()) return new Addresses.Found(out);
        if (a instanceof DnsResult.TemporaryFailure<InetAddress> t) return new Addresses.Temporary("A " + host + ": " + t.reason());
        if (aaaa instanceof DnsResult.TemporaryFailure<InetAddress> t) return new Addresses.Temporary("AAAA " + host + ": " + t.reason());
        return new Addresses.None(a instanceof DnsResult.NoSuchDomain ? host + ": no such domain" : host + ": no A or AAAA record");
    }

    @Override
    public String toString() {
        return port == 0 ? host : (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
