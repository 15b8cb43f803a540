package io.herald.config;

import io.herald.api.config.Configuration;
import io.herald.api.config.ServerIdentity;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The server's identity from {@code conf/herald.cfg}: {@code hostname} (default {@code localhost}) and
 * {@code domains} (default {@code localhost, herald.test}).
 */
public record ConfiguredIdentity(String hostname, Set<String> localDomains) implements ServerIdentity {

    public static final List<String> DEFAULT_DOMAINS = List.of("localhost", "herald.test");

    public ConfiguredIdentity {
        Set<String> lower = new LinkedHashSet<>();
        localDomains.forEach(d -> lower.add(d.toLowerCase(Locale.ROOT)));
        localDomains = java.util.Collections.unmodifiableSet(lower);
    }

    public static ConfiguredIdentity from(Configuration herald) {
        String hostname = herald.get("hostname", "localhost");
        if (!hostname.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")) {
            throw herald.invalid("hostname", hostname, "a host name such as mail.example.org");
        }
        List<String> domains = herald.getList("domains", DEFAULT_DOMAINS);
        for (String d : domains) {
            if (!d.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")) {
                throw herald.invalid("domains", herald.get("domains", ""), "a comma-separated list of domain names");
            }
        }
        return new ConfiguredIdentity(hostname, new LinkedHashSet<>(domains));
    }
}
