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

    Route route(Envelope envelope, MailAddress recipient);
}
