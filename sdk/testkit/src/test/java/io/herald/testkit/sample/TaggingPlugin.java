package io.herald.testkit.sample;

import io.herald.api.plugin.HeraldPlugin;

/** A plugin for the test kit's own tests: a hook, a router for the local domains and an in-memory store. */
public final class TaggingPlugin extends HeraldPlugin {

    @Override
    public String configPid() {
        return "tagging";
    }

    @Override
    protected void configure() {
        smtpHook().to(TaggingHook.class);
        router().to(AnyLocalRouter.class);
        bind(MemoryStore.class).in(com.google.inject.Singleton.class);
        mailboxStore().to(MemoryStore.class);
    }
}
