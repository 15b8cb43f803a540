package io.herald.host;

import io.herald.api.mailbox.MailboxStore;
import io.herald.api.notify.NotificationSink;
import io.herald.api.routing.Router;
import io.herald.api.smtp.SmtpHook;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamLearner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The plugins that are active now, and their contributions per extension point. Hosts add and remove
 * plugins; the core reads {@link #snapshot()} once per SMTP session (or delivery), so a session in flight
 * finishes with the extensions it started with.
 */
public final class ExtensionRegistry {

    private final CopyOnWriteArrayList<Plugin> plugins = new CopyOnWriteArrayList<>();
    private volatile Extensions current = Extensions.EMPTY;

    public void add(Plugin plugin) {
        plugins.removeIf(p -> p.name().equals(plugin.name()));
        plugins.add(plugin);
        rebuild();
    }

    public void remove(String pluginName) {
        plugins.removeIf(p -> p.name().equals(pluginName));
        rebuild();
    }

    public List<Plugin> plugins() {
        return List.copyOf(plugins);
    }

    /** The extensions active now, ordered by priority. */
    public Extensions snapshot() {
        return current;
    }

    private synchronized void rebuild() {
        List<SmtpHook> hooks = new ArrayList<>();
        List<Router> routers = new ArrayList<>();
        List<MailboxStore> stores = new ArrayList<>();
        List<NotificationSink> sinks = new ArrayList<>();
        List<SpamFilter> spamFilters = new ArrayList<>();
        List<SpamLearner> spamLearners = new ArrayList<>();
        for (Plugin p : plugins) {
            hooks.addAll(p.smtpHooks());
            routers.addAll(p.routers());
            stores.addAll(p.mailboxStores());
            sinks.addAll(p.notificationSinks());
            spamFilters.addAll(p.spamFilters());
            spamLearners.addAll(p.spamLearners());
        }
        hooks.sort(Comparator.comparingInt(SmtpHook::priority));
        routers.sort(Comparator.comparingInt(Router::priority));
        spamFilters.sort(Comparator.comparingInt(SpamFilter::priority));
        current = new Extensions(hooks, routers, stores.isEmpty() ? Optional.empty() : Optional.of(stores.get(0)), sinks,
                spamFilters, spamLearners);
    }

    /** An immutable view of the active extensions. */
    public record Extensions(List<SmtpHook> smtpHooks, List<Router> routers, Optional<MailboxStore> mailboxStore,
                             List<NotificationSink> notificationSinks, List<SpamFilter> spamFilters,
                             List<SpamLearner> spamLearners) {
        static final Extensions EMPTY = new Extensions(List.of(), List.of(), Optional.empty(), List.of());

        /** Extensions without spam filters or learners. */
        public Extensions(List<SmtpHook> smtpHooks, List<Router> routers, Optional<MailboxStore> mailboxStore,
                          List<NotificationSink> notificationSinks) {
            this(smtpHooks, routers, mailboxStore, notificationSinks, List.of(), List.of());
        }

        public Extensions {
            spamFilters = List.copyOf(spamFilters);
            spamLearners = List.copyOf(spamLearners);
            smtpHooks = List.copyOf(smtpHooks);
            routers = List.copyOf(routers);
            notificationSinks = List.copyOf(notificationSinks);
        }
    }
}
