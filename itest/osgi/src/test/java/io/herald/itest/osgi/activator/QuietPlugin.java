package io.herald.itest.osgi.activator;

import io.herald.api.plugin.HeraldPlugin;

/** The module of the test bundle whose activator throws: it would start, but the bundle never becomes active. */
public final class QuietPlugin extends HeraldPlugin {
    @Override
    protected void configure() {
    }
}
