package io.herald.plugin.routelocal;

import io.herald.api.config.Configuration;
import io.herald.api.config.ServerIdentity;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import jakarta.inject.Inject;

import java.util.Optional;

/**
 * Routes a recipient in a local domain to the mailbox of the same address, and refuses an unknown one with
 * {@code 550 5.1.1} (RFC 3463: bad destination mailbox address). {@code postmaster} in any local domain
 * (RFC 5321 §4.5.1) goes to the mailbox named by the {@code postmaster} key. Recipients in other domains
 * are left to the next router.
 *
 * <p>A local part using the percent hack or a bang path ({@code a%b@local}, {@code b!a@local}) is taken
 * literally: it names a mailbox that does not exist, so it is refused, never relayed.
 */
public final class LocalRouter implements Router {

    private final ServerIdentity identity;
    private final MailboxStore store;
    private final String postmaster;

    @Inject
    public LocalRouter(ServerIdentity identity, MailboxStore store, Configuration config) {
        this.identity = identity;
        this.store = store;
        this.postmaster = config.get("postmaster", "postmaster@localhost").toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public Route route(Envelope envelope, MailAddress recipient) {
        if (!identity.isLocal(recipient.domain())) return Route.pass();
        if (recipient.isPostmaster()) return Route.local(postmaster);
        String mailbox = recipient.canonical();
        if (store.exists(mailbox)) return Route.local(mailbox);
        return Route.refuse(550, "5.1.1", "<" + recipient + ">: no such user here");
    }

    /** The same answer, on the network thread, when the store knows its mailboxes without blocking. */
    @Override
    public Optional<Route> routeWithoutBlocking(Envelope envelope, MailAddress recipient) {
        if (!identity.isLocal(recipient.domain()) || recipient.isPostmaster() || store.existsWithoutBlocking())
            return Optional.of(route(envelope, recipient));
        return Optional.empty();
    }
}
