package io.herald.plugin.spamassassin;

import io.herald.api.plugin.HeraldPlugin;

/** Contributes {@link SpamAssassinFilter}, a client of a SpamAssassin {@code spamd} (off until {@code enabled = true}). */
public final class SpamAssassinPlugin extends HeraldPlugin {

    @Override
    public String configPid() {
        return "spam-spamassassin";
    }

    @Override
    protected void configure() {
        spamFilter().to(SpamAssassinFilter.class);
    }
}
