package io.herald.api.routing;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;

/**
 * Decides, for each recipient, where a message goes. Routers form a chain ordered by {@link #priority()}
 * (lower first); the first answer that is not {@link Route.Pass} wins. A recipient no router claims is
 * refused with {@code 550 5.7.1} (Herald is not an open relay).
 *
 * <p>Called at RCPT time (so that a refusal reaches the client) and again at delivery time. Routers must
 * be fast and side-effect free; they run off the network threads with a time limit, and a router that
 * throws or times out makes the recipient a temporary failure ({@code 451 4.3.0}): routing fails closed.
 */
public interface Router {

    default int priority() { return 100; }

    /**
     * True for a router that only answers for mail leaving this server ({@link Route.Relay}, or a {@link Route.Refuse}
     * about the next hop), such as relay-mx and relay-static. At RCPT time the core does not ask such a router for a
     * client that may not relay (not authenticated, not in {@code relayNetworks}): that client gets
     * {@code 550 5.7.1} without the router's DNS lookups. At delivery time every router is asked.
     *
     * @since 1.1
     */
    default boolean relayOnly() { return false; }

    Route route(Envelope envelope, MailAddress recipient);
}
