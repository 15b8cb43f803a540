package io.herald.itest.osgi.unresolved;

import io.herald.api.plugin.HeraldPlugin;

/** A test bundle's module; its bundle imports a package nobody exports, so it is never started. */
public final class NeedsAbsentPlugin extends HeraldPlugin {
    @Override
    protected void configure() {
    }
}
