package io.herald.host;

import io.herald.api.mailbox.MailboxStore;
import io.herald.api.notify.NotificationSink;
import io.herald.api.routing.Router;
import io.herald.api.smtp.SmtpHook;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamLearner;

import java.util.List;

/**
 * One started plugin and what it contributes to each extension point.
 *
 * @param name    the plugin's name
 * @param version its version, or {@code "unversioned"}
 */
public record Plugin(String name, String version, List<SmtpHook> smtpHooks, List<Router> routers,
                     List<MailboxStore> mailboxStores, List<NotificationSink> notificationSinks,
                     List<SpamFilter> spamFilters, List<SpamLearner> spamLearners) {
    public Plugin {
        spamFilters = List.copyOf(spamFilters);
        spamLearners = List.copyOf(spamLearners);
        smtpHooks = List.copyOf(smtpHooks);
        routers = List.copyOf(routers);
        mailboxStores = List.copyOf(mailboxStores);
        notificationSinks = List.copyOf(notificationSinks);
    }

    /** A plugin without spam filters or learners (the form used before those extension points existed). */
    public Plugin(String name, String version, List<SmtpHook> smtpHooks, List<Router> routers,
                  List<MailboxStore> mailboxStores, List<NotificationSink> notificationSinks) {
        this(name, version, smtpHooks, routers, mailboxStores, notificationSinks, List.of(), List.of());
    }

    /** The extension points this plugin fills, for listings. */
    public List<String> extensionPoints() {
        java.util.ArrayList<String> points = new java.util.ArrayList<>();
        if (!smtpHooks.isEmpty()) points.add("SmtpHook");
        if (!routers.isEmpty()) points.add("Router");
        if (!mailboxStores.isEmpty()) points.add("MailboxStore");
        if (!notificationSinks.isEmpty()) points.add("NotificationSink");
        if (!spamFilters.isEmpty()) points.add("SpamFilter");
        if (!spamLearners.isEmpty()) points.add("SpamLearner");
        return points;
    }
}
