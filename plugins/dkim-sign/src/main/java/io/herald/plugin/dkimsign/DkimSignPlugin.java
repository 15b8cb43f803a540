package io.herald.plugin.dkimsign;

import io.herald.api.plugin.HeraldPlugin;

/** Contributes {@link DkimSigningHook}: DKIM signatures on authenticated submissions (off until configured). */
public final class DkimSignPlugin extends HeraldPlugin {

    @Override
    public String configPid() {
        return "dkim-sign";
    }

    @Override
    protected void configure() {
        smtpHook().to(DkimSigningHook.class);
    }
}
