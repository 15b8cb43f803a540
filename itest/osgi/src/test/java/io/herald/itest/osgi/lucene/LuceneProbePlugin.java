package io.herald.itest.osgi.lucene;

import io.herald.api.plugin.HeraldPlugin;

/**
 * A test-only mailbox store that indexes with Lucene inside a bundle built from the mailbox-lucene module's own
 * bundle (its embedded jars and bnd's manifest): proof that the embedding recipe keeps Lucene's SPI working.
 */
public final class LuceneProbePlugin extends HeraldPlugin {
    @Override
    protected void configure() {
        mailboxStore().to(LuceneProbeStore.class).asEagerSingleton();
    }
}
