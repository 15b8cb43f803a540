package io.herald.host;

import io.herald.api.auth.Authenticator;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.notify.NotificationSink;
import io.herald.api.routing.Router;
import io.herald.api.smtp.SmtpHook;

import java.util.List;

/**
 * One started plugin and what it contributes to each extension point.
 *
 * @param name    the plugin's name
 * @param version its version, or {@code "unversioned"}
 */
public record Plugin(String name, String version, List<SmtpHook> smtpHooks, List<Router> routers,
                     List<MailboxStore> mailboxStores, List<NotificationSink> notificationSinks,
                     List<Authenticator> authenticators) {
    public Plugin {
        authenticators = List.copyOf(authenticators);
        smtpHooks = List.copyOf(smtpHooks);
        routers = List.copyOf(routers);
        mailboxStores = List.copyOf(mailboxStores);
        notificationSinks = List.copyOf(notificationSinks);
    }

    /** A plugin that contributes no {@link Authenticator}. */
    public Plugin(String name, String version, List<SmtpHook> smtpHooks, List<Router> routers,
                  List<MailboxStore> mailboxStores, List<NotificationSink> notificationSinks) {
        this(name, version, smtpHooks, routers, mailboxStores, notificationSinks, List.of());
    }

    /** The extension points this plugin fills, for listings. */
    public List<String> extensionPoints() {
        java.util.ArrayList<String> points = new java.util.ArrayList<>();
        if (!smtpHooks.isEmpty()) points.add("SmtpHook");
        if (!routers.isEmpty()) points.add("Router");
        if (!mailboxStores.isEmpty()) points.add("MailboxStore");
        if (!notificationSinks.isEmpty()) points.add("NotificationSink");
        if (!authenticators.isEmpty()) points.add("Authenticator");
        return points;
    }
}
