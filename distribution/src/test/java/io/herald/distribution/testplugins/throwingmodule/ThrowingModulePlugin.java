package io.herald.distribution.testplugins.throwingmodule;

import io.herald.api.plugin.HeraldPlugin;

/** A test plugin whose module throws while it is configured. */
public final class ThrowingModulePlugin extends HeraldPlugin {
    @Override
    protected void configure() {
        throw new IllegalStateException("test plugin: broken module");
    }
}
