package io.herald.plugin.relaymx;

import io.herald.api.config.Configuration;
import io.herald.api.config.ServerIdentity;
import io.herald.api.dns.DnsResolver;
import io.herald.api.dns.DnsResult;
import io.herald.api.dns.MxRecord;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Routes a recipient of a domain that is not local to the domain's mail exchangers, as RFC 5321 §5.1 says:
 * <ul>
 *   <li>MX records sorted by preference, lowest first; among equal preferences in random order (load spreading);</li>
 *   <li>when this server is itself one of the MX hosts ({@code herald.cfg hostname}), every MX of the same or a
 *       higher preference value is dropped (so a backup MX hands mail to a better one, never to itself or a peer);
 *       nothing left → {@code 550 5.4.6} (the mail would loop back here);</li>
 *   <li>no MX record (the name exists) → the domain itself as the only host (its A/AAAA records, the "implicit
 *       MX"); no such domain, or no MX and no address → {@code 550 5.1.2};</li>
 *   <li>a null MX (RFC 7505: {@code MX 0 .}) → {@code 556 5.1.10} at once: the domain accepts no mail;</li>
 *   <li>a DNS temporary failure → {@code 451 4.4.3}: try again later, never a bounce.</li>
 * </ul>
 * The hosts are handed to the core's outbound client in that order ({@link Route.Relay}); it resolves their addresses
 * and falls back from one to the next. Local domains are left to the next router (route-local).
 *
 * <p>Configuration ({@code conf/relay-mx.cfg}): {@code port} (0: the core's outbound port, default 25),
 * {@code tls} ({@code opportunistic} or {@code required}). Threading: thread-safe; each call makes up to three DNS
 * lookups through {@link DnsResolver} (cached by TTL), bounded by the resolver's time limit.
 */
public final class MxRouter implements Router {

    private final ServerIdentity identity;
    private final DnsResolver dns;
    private final int port;
    private final Route.TlsPolicy tls;
    private final Random random;

    @Inject
    public MxRouter(ServerIdentity identity, DnsResolver dns, Configuration config) {
        this(identity, dns, config, ThreadLocalRandom.current());
    }

    MxRouter(ServerIdentity identity, DnsResolver dns, Configuration config, Random random) {
        this.identity = identity;
        this.dns = dns;
        this.port = config.getInt("port", 0, 0, 65535);
        String t = config.get("tls", "opportunistic").trim().toLowerCase(Locale.ROOT);
        this.tls = switch (t) {
            case "opportunistic" -> Route.TlsPolicy.OPPORTUNISTIC;
            case "required" -> Route.TlsPolicy.REQUIRED;
            default -> throw config.invalid("tls", t, "opportunistic or required");
        };
        this.random = random;
    }

    @Override
    public int priority() {
        return 90;
    }

    /** Only mail leaving this server: not asked at RCPT time for clients that may not relay. */
    @Override
    public boolean relayOnly() {
        return true;
    }

    @Override
    public Route route(Envelope envelope, MailAddress recipient) {
        String domain = recipient.domain().toLowerCase(Locale.ROOT);
        if (identity.isLocal(domain) || domain.startsWith("[")) return Route.pass();
        DnsResult<MxRecord> mx = dns.mx(domain);
        if (mx instanceof DnsResult.TemporaryFailure<MxRecord> t) {
            return Route.refuse(451, "4.4.3", "DNS lookup of the MX of " + domain + " failed: " + t.reason() + "; try again later");
        }
        if (mx instanceof DnsResult.NoSuchDomain) {
            return Route.refuse(550, "5.1.2", "<" + recipient + ">: domain " + domain + " does not exist");
        }
        if (mx instanceof DnsResult.NoData) return implicitMx(recipient, domain);
        List<MxRecord> records = mx.records();
        // RFC 7505 §3/§4.1: a null MX says the domain takes no mail
        if (records.stream().anyMatch(MxRecord::isNullMx)) {
            return Route.refuse(556, "5.1.10", "<" + recipient + ">: recipient address has null MX (RFC 7505)");
        }
        List<String> hosts = order(records);
        if (hosts.isEmpty()) {
            return Route.refuse(550, "5.4.6", "mail for " + domain + " loops back to myself (" + identity.hostname()
                    + " is its most preferred MX)");
        }
        return new Route.Relay(hosts, port, tls, Optional.empty());
    }

    /** RFC 5321 §5.1: the domain's own address records when it has no MX. */
    private Route implicitMx(MailAddress recipient, String domain) {
        DnsResult<?> a = dns.a(domain);
        DnsResult<?> aaaa = a.found() ? a : dns.aaaa(domain);
        if (a.found() || aaaa.found()) return new Route.Relay(List.of(domain), port, tls, Optional.empty());
        if (a instanceof DnsResult.TemporaryFailure || aaaa instanceof DnsResult.TemporaryFailure) {
            return Route.refuse(451, "4.4.3", "DNS lookup of the address of " + domain + " failed; try again later");
        }
        return Route.refuse(550, "5.1.2", "<" + recipient + ">: domain " + domain + " has no MX and no address");
    }

    /** Preference order, random among equals; drops this server and every MX not better than it. */
    List<String> order(List<MxRecord> records) {
        TreeMap<Integer, List<String>> byPreference = new TreeMap<>();
        for (MxRecord r : records) byPreference.computeIfAbsent(r.preference(), k -> new ArrayList<>()).add(r.exchange());
        String self = identity.hostname().toLowerCase(Locale.ROOT);
        Optional<Integer> own = records.stream().filter(r -> r.exchange().equals(self))
                .map(MxRecord::preference).min(Comparator.naturalOrder());
        List<String> out = new ArrayList<>();
        for (var e : byPreference.entrySet()) {
            if (own.isPresent() && e.getKey() >= own.get()) break;
            List<String> same = new ArrayList<>(e.getValue());
            Collections.shuffle(same, random);
            for (String h : same) if (!out.contains(h)) out.add(h);
        }
        return out;
    }
}
