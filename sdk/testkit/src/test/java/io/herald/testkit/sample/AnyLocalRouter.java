package io.herald.testkit.sample;

import io.herald.api.config.ServerIdentity;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import jakarta.inject.Inject;

/** Every recipient in a local domain goes to the mailbox of that address. */
public final class AnyLocalRouter implements Router {
    private final ServerIdentity identity;

    @Inject
    public AnyLocalRouter(ServerIdentity identity) {
        this.identity = identity;
    }

    @Override
    public Route route(Envelope envelope, MailAddress recipient) {
        return identity.isLocal(recipient.domain()) ? Route.local(recipient.canonical()) : Route.pass();
    }
}
