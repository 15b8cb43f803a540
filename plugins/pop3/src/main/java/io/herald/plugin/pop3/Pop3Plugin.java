package io.herald.plugin.pop3;

import com.google.inject.Singleton;
import io.herald.api.plugin.HeraldPlugin;

/** Contributes the POP3 server ({@link Pop3Service}). Configuration: {@code conf/pop3.cfg}. */
public final class Pop3Plugin extends HeraldPlugin {
    @Override
    protected void configure() {
        bind(Pop3Service.class).in(Singleton.class);
        protocolService().to(Pop3Service.class);
    }
}
