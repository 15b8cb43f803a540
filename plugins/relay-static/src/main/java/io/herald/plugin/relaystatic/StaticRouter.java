package io.herald.plugin.relaystatic;

import io.herald.api.config.Configuration;
import io.herald.api.config.ServerIdentity;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import jakarta.inject.Inject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Fixed next hops ({@code conf/relay-static.cfg}):
 * <pre>
 * route.example.org   = 192.0.2.25:2525, backup.example.org    # this domain, hosts tried in order
 * route..example.net  = relay.example.net                       # a leading dot: every subdomain of example.net
 * route.tls           = opportunistic                           # or required, for every route above
 * smarthost           = smtp.provider.example:587              # every other domain that is not local
 * smarthost.username  = herald
 * smarthost.password  = secret
 * smarthost.tls       = required                                # default opportunistic; always required with AUTH
 * </pre>
 * An exact domain wins over a subdomain pattern, the longest pattern over shorter ones, and both over the
 * smarthost. Local domains are left to the next router (route-local), and so is everything when nothing matches and
 * no smarthost is set (then relay-mx, if installed, looks up MX). Hosts are written {@code host}, {@code host:port},
 * an IP literal or {@code [IPv6]:port}; without a port the core's outbound port is used ({@code conf/outbound.cfg},
 * default 25). A host list that cannot be parsed is refused at start, naming the key.
 *
 * <p>Threading: immutable after construction; no I/O when routing.
 */
public final class StaticRouter implements Router {

    private final ServerIdentity identity;
    private final Map<String, Route.Relay> exact = new LinkedHashMap<>();
    private final Map<String, Route.Relay> suffix = new LinkedHashMap<>();
    private final Optional<Route.Relay> smarthost;

    @Inject
    public StaticRouter(ServerIdentity identity, Configuration config) {
        this.identity = identity;
        Route.TlsPolicy routeTls = tls(config, "route.tls");
        for (String key : config.keys("route.")) {
            if (key.equals("route.tls")) continue;
            String pattern = key.substring("route.".length()).toLowerCase(Locale.ROOT);
            List<String> hosts = hosts(config, key);
            Route.Relay relay = new Route.Relay(hosts, 0, routeTls, Optional.empty());
            if (pattern.startsWith(".")) {
                if (pattern.length() < 2) throw config.invalid(key, config.get(key, ""), "a key route.<domain> or route..<parent domain>");
                suffix.put(pattern, relay);
            } else {
                if (pattern.isEmpty()) throw config.invalid(key, config.get(key, ""), "a key route.<domain> or route..<parent domain>");
                exact.put(pattern, relay);
            }
        }
        // every smarthost key is read (and checked) with or without a smarthost, so that none is taken for a misspelt one
        Optional<String> smart = config.get("smarthost").map(String::trim).filter(s -> !s.isEmpty());
        Optional<String> user = config.get("smarthost.username").map(String::trim).filter(s -> !s.isEmpty());
        Optional<String> password = config.get("smarthost.password");
        Route.TlsPolicy smartTls = tls(config, "smarthost.tls");
        if (smart.isPresent()) {
            if (user.isPresent() != password.isPresent()) {
                throw config.invalid(user.isPresent() ? "smarthost.password" : "smarthost.username", "",
                        "both smarthost.username and smarthost.password, or neither");
            }
            Optional<Route.Credentials> creds = user.map(u -> new Route.Credentials(u, password.get()));
            this.smarthost = Optional.of(new Route.Relay(hosts(config, "smarthost"), 0, smartTls, creds));
        } else {
            if (user.isPresent()) {
                throw config.invalid("smarthost.username", config.get("smarthost.username", ""), "set only together with smarthost");
            }
            this.smarthost = Optional.empty();
        }
    }

    @Override
    public int priority() {
        return 50;
    }

    /** Only mail leaving this server: not asked at RCPT time for clients that may not relay. */
    @Override
    public boolean relayOnly() {
        return true;
    }

    @Override
    public Route route(Envelope envelope, MailAddress recipient) {
        String domain = recipient.domain().toLowerCase(Locale.ROOT);
        if (identity.isLocal(domain)) return Route.pass();
        Route.Relay r = exact.get(domain);
        if (r != null) return r;
        String best = null;
        for (String s : suffix.keySet()) {
            if (domain.endsWith(s) && (best == null || s.length() > best.length())) best = s;
        }
        if (best != null) return suffix.get(best);
        return smarthost.<Route>map(x -> x).orElse(Route.pass());
    }

    private static Route.TlsPolicy tls(Configuration config, String key) {
        String t = config.get(key, "opportunistic").trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "opportunistic" -> Route.TlsPolicy.OPPORTUNISTIC;
            case "required" -> Route.TlsPolicy.REQUIRED;
            default -> throw config.invalid(key, t, "opportunistic or required");
        };
    }

    /** A comma-separated host list; each entry {@code host}, {@code host:port}, {@code [IPv6]:port}. */
    private static List<String> hosts(Configuration config, String key) {
        List<String> hosts = config.getList(key, List.of());
        if (hosts.isEmpty()) throw config.invalid(key, "", "one or more hosts, e.g. mx.example.org:2525, 192.0.2.25");
        for (String h : hosts) {
            if (!h.matches("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")) {
                throw config.invalid(key, h, "host, host:port, an IP address or [IPv6]:port");
            }
            int colon = h.lastIndexOf(':');
            if (colon > h.lastIndexOf(']')) {
                int p = Integer.parseInt(h.substring(colon + 1));
                if (p < 1 || p > 65535) throw config.invalid(key, h, "a port from 1 to 65535");
            }
        }
        return hosts;
    }
}
