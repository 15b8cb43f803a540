package io.herald.plugin.spamauth;

import io.herald.api.plugin.HeraldPlugin;

/** Contributes {@link AuthFilter}: SPF, DKIM and DMARC scores and {@code Authentication-Results}. */
public final class SpamAuthPlugin extends HeraldPlugin {

    @Override
    public String configPid() {
        return "spam-auth";
    }

    @Override
    protected void configure() {
        spamFilter().to(AuthFilter.class);
    }
}
