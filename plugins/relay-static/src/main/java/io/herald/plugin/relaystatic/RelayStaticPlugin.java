package io.herald.plugin.relaystatic;

import io.herald.api.plugin.HeraldPlugin;

/** Contributes {@link StaticRouter}. Configuration: {@code conf/relay-static.cfg}. */
public final class RelayStaticPlugin extends HeraldPlugin {
    @Override
    protected void configure() {
        router().to(StaticRouter.class);
    }
}
