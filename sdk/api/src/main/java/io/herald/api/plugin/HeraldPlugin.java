package io.herald.api.plugin;

import com.google.inject.AbstractModule;
import com.google.inject.binder.LinkedBindingBuilder;
import com.google.inject.multibindings.Multibinder;
import io.herald.api.auth.Authenticator;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.notify.NotificationSink;
import io.herald.api.protocol.ProtocolService;
import io.herald.api.routing.Router;
import io.herald.api.smtp.SmtpHook;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamLearner;

/**
 * A Herald plugin: a Guice module whose bindings are its contributions to the extension points.
 *
 * <pre>{@code
 * public final class GreylistPlugin extends HeraldPlugin {
 *     protected void configure() {
 *         smtpHook().to(Greylist.class);
 *     }
 * }
 * }</pre>
 *
 * <p>The host gives the module a child injector of the core's, in which the core's services can be
 * injected: {@link PluginContext} (name, configuration, data folder), {@link io.herald.api.config.Configuration}
 * (the plugin's own), {@link MailboxStore} (the active store), {@link io.herald.api.mailbox.MailboxEventPublisher},
 * {@link java.time.Clock}, {@link io.herald.api.dns.DnsResolver} (DNS lookups, {@code conf/dns.cfg}), and (since
 * 1.2) for protocol plugins {@link io.herald.api.protocol.ServerTls} (the server's certificate) and
 * {@link io.herald.api.auth.Logins} (authentication through the core's chain and throttle).
 *
 * <p>The plain-Java host finds plugins with {@link java.util.ServiceLoader}: name the class in
 * {@code META-INF/services/io.herald.api.plugin.HeraldPlugin}. The class needs a public no-argument constructor.
 */
public abstract class HeraldPlugin extends AbstractModule {

    /** The configuration pid of this plugin; its file is {@code conf/<pid>.cfg}. Defaults to the plugin's name. */
    public String configPid() {
        return getClass().getSimpleName().replaceAll("Plugin$", "").replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    protected final LinkedBindingBuilder<SmtpHook> smtpHook() {
        return Multibinder.newSetBinder(binder(), SmtpHook.class).addBinding();
    }

    /** Contributes a spam filter; the core adds the scores of all filters (see {@link SpamFilter}). */
    protected final LinkedBindingBuilder<SpamFilter> spamFilter() {
        return Multibinder.newSetBinder(binder(), SpamFilter.class).addBinding();
    }

    /**
     * Contributes a learner, trained from messages users move into or out of Junk and by {@code herald spam train}.
     * A filter that also learns binds the same singleton with both {@link #spamFilter()} and this.
     */
    protected final LinkedBindingBuilder<SpamLearner> spamLearner() {
        return Multibinder.newSetBinder(binder(), SpamLearner.class).addBinding();
    }

    protected final LinkedBindingBuilder<Router> router() {
        return Multibinder.newSetBinder(binder(), Router.class).addBinding();
    }

    /** Contributes the mailbox store; bound as a Guice singleton by the host. */
    protected final LinkedBindingBuilder<MailboxStore> mailboxStore() {
        return Multibinder.newSetBinder(binder(), Key.STORE).addBinding();
    }

    /** Contributes an {@link Authenticator} to the authentication chain. */
    protected final LinkedBindingBuilder<Authenticator> authenticator() {
        return Multibinder.newSetBinder(binder(), Authenticator.class).addBinding();
    }

    /** Contributes a notification sink; the core delivers mailbox events to it asynchronously (see {@link NotificationSink}). */
    protected final LinkedBindingBuilder<NotificationSink> notificationSink() {
        return Multibinder.newSetBinder(binder(), NotificationSink.class).addBinding();
    }

    /** Contributes a path of the core's HTTP listener (see {@link io.herald.api.http.HttpEndpoint}). */
    protected final LinkedBindingBuilder<io.herald.api.http.HttpEndpoint> httpEndpoint() {
        return Multibinder.newSetBinder(binder(), io.herald.api.http.HttpEndpoint.class).addBinding();
    }

    /**
     * Contributes a network service the plugin owns (an IMAP or POP3 listener): the host starts it once the plugin's
     * contributions are registered and stops it when the plugin is withdrawn (see {@link ProtocolService}).
     * Bind a singleton: {@code protocolService().to(ImapService.class).in(Singleton.class)} or
     * {@code bind(ImapService.class).in(Singleton.class); protocolService().to(ImapService.class)}.
     *
     * @since 1.2
     */
    protected final LinkedBindingBuilder<ProtocolService> protocolService() {
        return Multibinder.newSetBinder(binder(), ProtocolService.class).addBinding();
    }

    /**
     * The Guice keys under which contributions are collected: the host reads these sets from the plugin's injector.
     * The store is collected under a qualified key so that the core can bind the plain {@link MailboxStore}
     * (the active store) for every plugin to inject.
     */
    public static final class Key {
        public static final com.google.inject.Key<MailboxStore> STORE =
                com.google.inject.Key.get(MailboxStore.class, com.google.inject.name.Names.named("herald.contributed"));

        private Key() { }
    }
}
