package io.herald.plugin.relaymx;

import io.herald.api.plugin.HeraldPlugin;

/** Contributes {@link MxRouter}. Configuration: {@code conf/relay-mx.cfg}. */
public final class RelayMxPlugin extends HeraldPlugin {
    @Override
    protected void configure() {
        router().to(MxRouter.class);
    }
}
