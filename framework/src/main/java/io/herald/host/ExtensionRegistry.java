package io.herald.host;

import io.herald.api.auth.Authenticator;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.notify.NotificationSink;
import io.herald.api.protocol.ProtocolService;
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

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ExtensionRegistry.class);

    private final CopyOnWriteArrayList<Plugin> plugins = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Plugin> builtIns = new CopyOnWriteArrayList<>();
    private volatile Extensions current = new Extensions(Map.of());
    private final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> failures = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile int failureLimit = 5;
    private volatile java.util.function.BiConsumer<String, String> quarantine = (name, reason) -> remove(name);

    /**
     * The circuit breaker: after this many consecutive failed calls (thrown, timed out) into the contributions of one
     * plugin, with no successful call in between, the plugin is quarantined (see {@link #onQuarantine}). 0: never.
     */
    public void failureLimit(int limit) {
        this.failureLimit = limit;
    }

    /**
     * What quarantining a plugin does: given the plugin's name and the reason. By default it is withdrawn from the
     * registry; the OSGi extender also marks it FAILED with the reason. Runs on a thread of its own.
     */
    public void onQuarantine(java.util.function.BiConsumer<String, String> handler) {
        this.quarantine = handler;
    }

    /**
     * Records the outcome of one call into a contribution (a router, a hook): {@code failure} is null on success.
     * Calls that could not even start (the executor was saturated) are not the plugin's fault: don't record them.
     */
    public void recordOutcome(Object contribution, Throwable failure) {
        String name = owner(contribution);
        if (name == null) return;
        if (failure == null) {
            java.util.concurrent.atomic.AtomicInteger n = failures.get(name);
            if (n != null) n.set(0);
            return;
        }
        int limit = failureLimit;
        int n = failures.computeIfAbsent(name, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        if (limit > 0 && n == limit) {
            Throwable root = failure;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            String reason = limit + " consecutive failed calls into " + contribution.getClass().getName() + ", the last: " + root;
            log.error("plugin {} quarantined (withdrawn from the registry): {}", name, reason);
            java.util.function.BiConsumer<String, String> q = quarantine;
            Thread t = new Thread(() -> q.accept(name, reason), "herald-quarantine-" + name);
            t.setDaemon(true);
            t.start();
        }
    }

    private String owner(Object contribution) {
        for (Plugin p : plugins) {
            for (Object o : p.distinctContributions()) if (o == contribution) return p.name();
        }
        return null;
    }

    public void add(Plugin plugin) {
        failures.remove(plugin.name());
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

    /** Withdraws built-in contributions added under this name. */
    public void removeBuiltIn(String name) {
        builtIns.removeIf(p -> p.name().equals(name));
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
        for (java.util.function.Consumer<Extensions> l : listeners) {
            try {
                l.accept(current);
            } catch (RuntimeException e) {
                log.error("registry listener {} failed: {}", l, e.toString(), e);
            }
        }
    }

    private final CopyOnWriteArrayList<java.util.function.Consumer<Extensions>> listeners = new CopyOnWriteArrayList<>();

    /**
     * Calls {@code listener} with the new snapshot after every change, synchronously on the thread that made the
     * change (so a plugin's contributions are known to be withdrawn when {@link #remove} returns), and once now.
     */
    public synchronized void addListener(java.util.function.Consumer<Extensions> listener) {
        listeners.add(listener);
        listener.accept(current);
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

        /** The protocol services of the active plugins (started by the host; listed here for tools and tests). */
        public List<ProtocolService> protocolServices() { return get(ProtocolService.class); }
        public List<io.herald.api.http.HttpEndpoint> httpEndpoints() { return get(io.herald.api.http.HttpEndpoint.class); }
    }
}
