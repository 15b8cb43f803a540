package io.herald.plugin.dnsbl;

import io.herald.api.config.Configuration;
import io.herald.api.dns.DnsResolver;
import io.herald.api.dns.DnsResult;
import io.herald.api.dns.TxtRecord;
import io.herald.api.plugin.PluginContext;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamVerdict;
import io.herald.api.spam.SpamVerdict.Reason;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * DNS block lists (RFC 5782) for the client address of mail from other servers: for each configured zone the
 * address is looked up as {@code <reversed address>.<zone>} (A record); an answer that the zone's {@code codes}
 * accept means "listed" and adds the zone's weight. The list's TXT record, when there is one, is the reason's text.
 *
 * <p>Configuration ({@code conf/spam-dnsbl.cfg}); no zone by default (a block list's terms of use are the site's
 * choice):
 * <pre>
 * # zones =                       comma-separated, e.g. bl.example.net, dul.example.org
 * # zone.&lt;zone&gt;.weight = 3.0
 * # zone.&lt;zone&gt;.codes =           answers that mean listed, e.g. 127.0.0.2, 127.0.0.4; default: 127.0.0.0/8
 * #                               except 127.0.0.1 and 127.255.255.0/24 (lists' error answers)
 * # zone.&lt;zone&gt;.reason =          reason name; default DNSBL_ and the zone in upper case
 * # skip.private = true           loopback, private and link-local clients are not looked up
 * </pre>
 * Authenticated clients (submission) are never looked up.
 *
 * <p>Failure policy: a zone whose lookup fails temporarily counts 0; when no zone listed the client and one
 * failed, the filter throws so that the chain names it in {@code skipped=}.
 */
@Singleton
public final class DnsblFilter implements SpamFilter {

    private final DnsResolver dns;
    private final List<Zone> zones;
    private final boolean skipPrivate;

    @Inject
    public DnsblFilter(PluginContext context, DnsResolver dns) {
        this(context.config(), dns);
    }

    public DnsblFilter(Configuration c, DnsResolver dns) {
        this.dns = dns;
        this.skipPrivate = c.getBoolean("skip.private", true);
        List<Zone> zs = new ArrayList<>();
        // The family zone.<zone>.weight|codes|reason, for any zone (one not listed in zones yet is allowed): a key of
        // the family with another ending (zone.bl.example.net.wieght) is refused, not silently left at its default.
        // Keys are found by the zone's name in lower case, without trailing dots, as the zones themselves.
        Map<String, String> zoneKeys = new HashMap<>();
        for (String key : new TreeSet<>(c.keys("zone."))) {   // sorted: the same key is named every time
            Matcher m = ZONE_KEY.matcher(key);
            if (!m.matches()) throw c.invalid(key, c.get(key, ""), "a key zone.<zone>.weight, zone.<zone>.codes or zone.<zone>.reason");
            String other = zoneKeys.put("zone." + zoneName(m.group(1)) + "." + m.group(2), key);
            if (other != null) throw c.invalid(key, c.get(key, ""), "one key per zone and setting (" + other + " is the same)");
        }
        for (String z : c.getList("zones", List.of())) {
            String zone = zoneName(z);
            if (!zone.matches("[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)+"))
                throw c.invalid("zones", z, "DNS zone names such as bl.example.net");
            String wKey = zoneKey(zoneKeys, zone, "weight");
            double weight;
            try {
                weight = Double.parseDouble(c.get(wKey, "3.0"));
                if (!Double.isFinite(weight)) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                throw c.invalid(wKey, c.get(wKey, ""), "a decimal number such as 3.0");
            }
            String rKey = zoneKey(zoneKeys, zone, "reason");
            String reason = c.get(rKey, "DNSBL_" + zone.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"));
            if (!reason.matches("[A-Z0-9_]+")) throw c.invalid(rKey, reason, "upper-case letters, digits and _");
            String cKey = zoneKey(zoneKeys, zone, "codes");
            List<InetAddress> codes = new ArrayList<>();
            for (String code : c.getList(cKey, List.of())) {
                if (!code.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) throw c.invalid(cKey, code, "addresses in 127.0.0.0/8 such as 127.0.0.2");
                try {
                    codes.add(InetAddress.getByName(code)); // a literal: never a lookup
                } catch (UnknownHostException e) {
                    throw c.invalid(cKey, code, "addresses in 127.0.0.0/8 such as 127.0.0.2");
                }
            }
            zs.add(new Zone(zone, weight, reason, codes));
        }
        this.zones = List.copyOf(zs);
    }

    private static final Pattern ZONE_KEY = Pattern.compile("zone\\.(.+)\\.(weight|codes|reason)");

    /** The key of the file for the zone's setting, as written (any case), else its lower-case form. */
    private static String zoneKey(Map<String, String> zoneKeys, String zone, String setting) {
        String key = "zone." + zone + "." + setting;
        return zoneKeys.getOrDefault(key, key);
    }

    /** A zone's name as looked up: lower case, no trailing dots. */
    private static String zoneName(String z) {
        String zone = z.toLowerCase(Locale.ROOT);
        while (zone.endsWith(".")) zone = zone.substring(0, zone.length() - 1);
        return zone;
    }

    @Override
    public String name() {
        return "dnsbl";
    }

    List<Zone> zones() {
        return zones;
    }

    @Override
    public SpamVerdict score(SpamCheck check) throws IOException {
        if (zones.isEmpty() || check.authenticated() || check.session().remote() == null) return SpamVerdict.NONE;
        InetAddress client = check.session().remote().getAddress();
        if (skipPrivate && (client.isLoopbackAddress() || client.isSiteLocalAddress() || client.isLinkLocalAddress()
                || client.isAnyLocalAddress() || isUniqueLocal(client))) return SpamVerdict.NONE;
        List<Reason> reasons = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (Zone z : zones) {
            String name = Rfc5782.queryName(client, z.name());
            DnsResult<InetAddress> r = dns.a(name);
            if (r instanceof DnsResult.TemporaryFailure<InetAddress> t) {
                failed.add(z.name() + ": " + t.reason());
                continue;
            }
            List<InetAddress> hits = r.records().stream().filter(z::listed).toList();
            if (hits.isEmpty()) continue;
            String codes = hits.stream().map(InetAddress::getHostAddress).collect(Collectors.joining(","));
            String why = dns.txt(name).records().stream().map(TxtRecord::text).findFirst().map(t -> ": " + oneLine(t)).orElse("");
            reasons.add(new Reason(z.reason(), z.weight(), client.getHostAddress() + " listed in " + z.name() + " (" + codes + ")" + why));
        }
        if (reasons.isEmpty() && !failed.isEmpty()) throw new IOException("DNS block list lookup failed: " + String.join("; ", failed));
        return SpamVerdict.of(reasons);
    }

    private static boolean isUniqueLocal(InetAddress a) {
        return a.getAddress().length == 16 && (a.getAddress()[0] & 0xfe) == 0xfc; // fc00::/7, RFC 4193
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("[\\r\\n\\t]", " ").strip();
        return t.length() > 160 ? t.substring(0, 160) : t;
    }
}
