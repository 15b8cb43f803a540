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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One started plugin and what it contributes to each extension point.
 *
 * @param name          the plugin's name
 * @param version       its version, or {@code "unversioned"}
 * @param contributions per extension point (one of {@link ExtensionPoint#ALL}), the plugin's implementations
 */
public record Plugin(String name, String version, Map<Class<?>, List<?>> contributions) {

    public Plugin {
        Map<Class<?>, List<?>> copy = new LinkedHashMap<>();
        contributions.forEach((point, list) -> {
            if (!ExtensionPoint.ALL.contains(point)) throw new IllegalArgumentException("not an extension point: " + point.getName());
            for (Object o : list) {
                if (!point.isInstance(o)) throw new IllegalArgumentException(o.getClass().getName() + " is not a " + point.getSimpleName());
            }
            if (!list.isEmpty()) copy.put(point, List.copyOf(list));
        });
        contributions = java.util.Collections.unmodifiableMap(copy);
    }

    /** A plugin filling the four original extension points (convenient in tests). */
    public Plugin(String name, String version, List<SmtpHook> smtpHooks, List<Router> routers,
                  List<MailboxStore> mailboxStores, List<NotificationSink> notificationSinks) {
        this(name, version, Map.of(SmtpHook.class, smtpHooks, Router.class, routers,
                MailboxStore.class, mailboxStores, NotificationSink.class, notificationSinks));
    }

    /** What this plugin contributes to one extension point; empty when nothing. */
    @SuppressWarnings("unchecked")
    public <T> List<T> contributions(Class<T> point) {
        return (List<T>) contributions.getOrDefault(point, List.of());
    }

    public List<SmtpHook> smtpHooks() { return contributions(SmtpHook.class); }

    public List<Router> routers() { return contributions(Router.class); }

    public List<MailboxStore> mailboxStores() { return contributions(MailboxStore.class); }

    public List<NotificationSink> notificationSinks() { return contributions(NotificationSink.class); }

    public List<Authenticator> authenticators() { return contributions(Authenticator.class); }

    public List<SpamFilter> spamFilters() { return contributions(SpamFilter.class); }

    public List<SpamLearner> spamLearners() { return contributions(SpamLearner.class); }

    public List<ProtocolService> protocolServices() { return contributions(ProtocolService.class); }

    /** Every contributed object once, even when one object fills several points (to close it once). */
    public List<Object> distinctContributions() {
        List<Object> out = new ArrayList<>();
        java.util.Set<Object> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        contributions.values().forEach(list -> list.forEach(o -> {
            if (seen.add(o)) out.add(o);
        }));
        return out;
    }

    /** The extension points this plugin fills, for listings. */
    public List<String> extensionPoints() {
        return ExtensionPoint.ALL.stream().filter(contributions::containsKey).map(Class::getSimpleName).toList();
    }
}
