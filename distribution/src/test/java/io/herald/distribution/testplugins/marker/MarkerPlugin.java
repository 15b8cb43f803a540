package io.herald.distribution.testplugins.marker;

import io.herald.api.plugin.HeraldPlugin;

/** A test plugin bundle (built by the ITs, in two versions): {@link MarkerHook}. */
public final class MarkerPlugin extends HeraldPlugin {
    @Override
    public String configPid() {
        return "test-marker";
    }

    @Override
    protected void configure() {
        smtpHook().to(MarkerHook.class);
    }
}
