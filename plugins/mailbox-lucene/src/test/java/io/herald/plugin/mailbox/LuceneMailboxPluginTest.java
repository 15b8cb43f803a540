package io.herald.plugin.mailbox;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.TypeLiteral;
import io.herald.api.config.Configuration;
import io.herald.api.mailbox.MailboxEventPublisher;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.plugin.PluginContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ServiceLoader;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class LuceneMailboxPluginTest {

    @TempDir Path dir;

    @Test
    void pluginModuleContributesOneSingletonStore() throws Exception {
        TestSupport.Events events = new TestSupport.Events();
        Configuration config = TestSupport.CONFIG;
        PluginContext context = new PluginContext("mailbox-lucene", config, dir, false);
        LuceneMailboxPlugin plugin = new LuceneMailboxPlugin();
        assertThat(plugin.configPid()).isEqualTo("mailbox-lucene");
        Injector injector = Guice.createInjector(new AbstractModule() {
            @Override
            protected void configure() {
                bind(PluginContext.class).toInstance(context);
                bind(Configuration.class).toInstance(config);
                bind(MailboxEventPublisher.class).toInstance(events);
                bind(Clock.class).toInstance(Clock.systemUTC());
            }
        }, plugin);
        Set<MailboxStore> stores = injector.getInstance(Key.get(new TypeLiteral<Set<MailboxStore>>() { },
                HeraldPlugin.Key.STORE.getAnnotation()));
        assertThat(stores).hasSize(1);
        MailboxStore store = stores.iterator().next();
        assertThat(store).isInstanceOf(LuceneMailboxStore.class).isSameAs(injector.getInstance(LuceneMailboxStore.class));
        try {
            store.create("olaf@herald.test");
            store.deliver(TestSupport.inbox("olaf@herald.test", TestSupport.message("hi", "there"), "k"));
            assertThat(store.list("olaf@herald.test", "INBOX")).hasSize(1);
        } finally {
            ((AutoCloseable) store).close();
        }
    }

    @Test
    void pluginIsFoundByServiceLoader() {
        assertThat(ServiceLoader.load(HeraldPlugin.class).stream().map(ServiceLoader.Provider::type))
                .contains(LuceneMailboxPlugin.class);
    }
}
