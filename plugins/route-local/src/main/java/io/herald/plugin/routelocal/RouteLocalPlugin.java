package io.herald.plugin.routelocal;

import io.herald.api.plugin.HeraldPlugin;

/** Contributes {@link LocalRouter}. Configuration: {@code conf/route-local.cfg}. */
public final class RouteLocalPlugin extends HeraldPlugin {
    @Override
    protected void configure() {
        router().to(LocalRouter.class);
    }
}
