package io.herald.distribution.testplugins.missingimport;

import io.herald.api.plugin.HeraldPlugin;

/** A test plugin whose bundle imports a package nothing exports (the IT writes that into its manifest). */
public final class MissingImportPlugin extends HeraldPlugin {
    @Override
    protected void configure() {
    }
}
