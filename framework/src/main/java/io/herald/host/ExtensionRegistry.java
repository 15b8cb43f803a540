package io.herald.host;

import io.herald.api.auth.Authenticator;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.notify.NotificationSink;
import io.herald.api.routing.Router;
import io.herald.api.smtp.SmtpHook;

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

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ExtensionRegistry.class);

    private final CopyOnWriteArrayList<Plugin> plugins = new CopyOnWriteArrayList<>();
    private volatile Extensions current = Extensions.EMPTY;
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
            for (List<?> l : List.of(p.routers(), p.smtpHooks(), p.mailboxStores(), p.notificationSinks(), p.authenticators())) {
                for (Object o : l) if (o == contribution) return p.name();
            }
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
        List<Authenticator> authenticators = new ArrayList<>();
        for (Plugin p : plugins) {
            hooks.addAll(p.smtpHooks());
            routers.addAll(p.routers());
            stores.addAll(p.mailboxStores());
            sinks.addAll(p.notificationSinks());
            authenticators.addAll(p.authenticators());
        }
        authenticators.sort(Comparator.comparingInt(Authenticator::priority));
        hooks.sort(Comparator.comparingInt(SmtpHook::priority));
        routers.sort(Comparator.comparingInt(Router::priority));
        current = new Extensions(hooks, routers, stores.isEmpty() ? Optional.empty() : Optional.of(stores.get(0)), sinks,
                authenticators);
    }

    /** An immutable view of the active extensions. */
    public record Extensions(List<SmtpHook> smtpHooks, List<Router> routers, Optional<MailboxStore> mailboxStore,
                             List<NotificationSink> notificationSinks, List<Authenticator> authenticators) {
        static final Extensions EMPTY = new Extensions(List.of(), List.of(), Optional.empty(), List.of(), List.of());

        public Extensions(List<SmtpHook> smtpHooks, List<Router> routers, Optional<MailboxStore> mailboxStore,
                          List<NotificationSink> notificationSinks) {
            this(smtpHooks, routers, mailboxStore, notificationSinks, List.of());
        }

        public Extensions {
            authenticators = List.copyOf(authenticators);
            smtpHooks = List.copyOf(smtpHooks);
            routers = List.copyOf(routers);
            notificationSinks = List.copyOf(notificationSinks);
        }
    }
}
