package io.herald.plugin.imap;

import io.herald.api.plugin.HeraldPlugin;

/**
 * The IMAP plugin: contributes the IMAP listeners ({@link ImapServer}, a protocol service) and the notification sink
 * that tells its sessions about mailbox changes ({@link ImapNotifications}). Configuration: {@code conf/imap.cfg}
 * (see {@link ImapSettings}).
 */
public final class ImapPlugin extends HeraldPlugin {

    @Override
    public String configPid() {
        return "imap";
    }

    @Override
    protected void configure() {
        bind(ImapNotifications.class).in(com.google.inject.Singleton.class);
        bind(ImapServer.class).in(com.google.inject.Singleton.class);
        notificationSink().to(ImapNotifications.class);
        protocolService().to(ImapServer.class);
    }
}
