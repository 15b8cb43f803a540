package io.herald.plugin.mailbox;

import com.google.inject.Singleton;
import io.herald.api.plugin.HeraldPlugin;

/**
 * Contributes {@link LuceneMailboxStore}, the mailbox store that keeps message bytes in content-addressed files,
 * the mailbox state in append-only logs, and a derived Lucene index for search.
 * Configuration: {@code conf/mailbox-lucene.cfg}; files: the plugin's data folder.
 */
public final class LuceneMailboxPlugin extends HeraldPlugin {

    @Override
    public String configPid() {
        return "mailbox-lucene";
    }

    @Override
    protected void configure() {
        bind(LuceneMailboxStore.class).in(Singleton.class);
        mailboxStore().to(LuceneMailboxStore.class);
    }
}
