package io.herald.host;

import io.herald.api.auth.Authenticator;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.notify.NotificationSink;
import io.herald.api.routing.Router;
import io.herald.api.smtp.SmtpHook;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamLearner;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The plugins that are active now, and their contributions per extension point. Hosts add and remove
 * plugins; the core reads {@link #snapshot()} once per SMTP session (or delivery), so a session in flight
 * finishes with the extensions it started with.
 */
public final class ExtensionRegistry {

    private final CopyOnWriteArrayList<Plugin> plugins = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Plugin> builtIns = new CopyOnWriteArrayList<>();
    private volatile Extensions current = new Extensions(Map.of());

    public void add(Plugin plugin) {
        plugins.removeIf(p -> p.name().equals(plugin.name()));
        plugins.add(plugin);
        rebuild();
    }

    public void remove(String pluginName) {
        plugins.removeIf(p -> p.name().equals(pluginName));
        rebuild();
    }

    /** The plugins added by a host (not the core's own contributions). */
    public List<Plugin> plugins() {
        return List.copyOf(plugins);
    }

    /**
     * Adds contributions of the core itself (for example the spam filter chain's SMTP hook): part of every
     * snapshot like a plugin's, but not a plugin, so not in {@link #plugins()} and never withdrawn by a host.
     */
    public void addBuiltIn(Plugin contributions) {
        builtIns.add(contributions);
        rebuild();
    }

    /** The extensions active now, chains ordered by priority. */
    public Extensions snapshot() {
        return current;
    }

    private synchronized void rebuild() {
        Map<Class<?>, List<?>> all = new HashMap<>();
        for (Class<?> point : ExtensionPoint.ALL) all.put(point, collect(point));
        current = new Extensions(all);
    }

    private <T> List<T> collect(Class<T> point) {
        List<T> items = new ArrayList<>();
        for (Plugin p : builtIns) items.addAll(p.contributions(point));
        for (Plugin p : plugins) items.addAll(p.contributions(point));
        ExtensionPoint.sort(point, items);
        return List.copyOf(items);
    }

    /** An immutable view of the active extensions. */
    public static final class Extensions {
        private final Map<Class<?>, List<?>> byPoint;

        Extensions(Map<Class<?>, List<?>> byPoint) {
            this.byPoint = Map.copyOf(byPoint);
        }

        @SuppressWarnings("unchecked")
        public <T> List<T> get(Class<T> point) {
            return (List<T>) byPoint.getOrDefault(point, List.of());
        }

        public List<SmtpHook> smtpHooks() { return get(SmtpHook.class); }

        public List<Router> routers() { return get(Router.class); }

        /** The active store: the first one registered. */
        public Optional<MailboxStore> mailboxStore() { return get(MailboxStore.class).stream().findFirst(); }

        public List<NotificationSink> notificationSinks() { return get(NotificationSink.class); }

        public List<Authenticator> authenticators() { return get(Authenticator.class); }

        public List<SpamFilter> spamFilters() { return get(SpamFilter.class); }

        public List<SpamLearner> spamLearners() { return get(SpamLearner.class); }
    }
}
