package io.herald.itest.osgi.failing;

import io.herald.api.plugin.HeraldPlugin;

/** A test bundle's module that cannot start. */
public final class ThrowingPlugin extends HeraldPlugin {
    @Override
    protected void configure() {
        throw new IllegalStateException("boom: this module refuses to start");
    }
}
