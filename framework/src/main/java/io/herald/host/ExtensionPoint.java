package io.herald.host;

import com.google.inject.Key;
import com.google.inject.util.Types;
import io.herald.api.auth.Authenticator;
import io.herald.api.http.HttpEndpoint;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.notify.NotificationSink;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.protocol.ProtocolService;
import io.herald.api.routing.Router;
import io.herald.api.smtp.SmtpHook;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamLearner;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The extension points of the API: which interfaces plugins contribute, how they are collected and ordered. */
public final class ExtensionPoint {

    /** Every extension point, in the order listings show them. */
    public static final List<Class<?>> ALL = List.of(SmtpHook.class, Router.class, MailboxStore.class,
            NotificationSink.class, Authenticator.class, SpamFilter.class, SpamLearner.class, ProtocolService.class, HttpEndpoint.class);

    /** Chains ordered by their declared priority, lower first; other points keep registration order. */
    private static final Map<Class<?>, Comparator<?>> ORDER = Map.of(
            SmtpHook.class, Comparator.comparingInt(SmtpHook::priority),
            Router.class, Comparator.comparingInt(Router::priority),
            Authenticator.class, Comparator.comparingInt(Authenticator::priority),
            SpamFilter.class, Comparator.comparingInt(SpamFilter::priority));

    private ExtensionPoint() { }

    /** The Guice key under which a plugin's injector holds its contributions to a point (see {@link HeraldPlugin}). */
    @SuppressWarnings("unchecked")
    static <T> Key<Set<T>> key(Class<T> point) {
        if (point == MailboxStore.class) {
            return (Key<Set<T>>) Key.get(Types.setOf(point), HeraldPlugin.Key.STORE.getAnnotation());
        }
        return (Key<Set<T>>) Key.get(Types.setOf(point));
    }

    @SuppressWarnings("unchecked")
    static <T> void sort(Class<T> point, List<T> items) {
        Comparator<T> c = (Comparator<T>) ORDER.get(point);
        if (c != null) items.sort(c);
    }
}
