package io.herald.plugin.dnsbl;

import io.herald.api.plugin.HeraldPlugin;

/** Contributes {@link DnsblFilter} (no zone, so no lookup, until {@code zones} is set). */
public final class DnsblPlugin extends HeraldPlugin {

    @Override
    public String configPid() {
        return "spam-dnsbl";
    }

    @Override
    protected void configure() {
        spamFilter().to(DnsblFilter.class);
    }
}
