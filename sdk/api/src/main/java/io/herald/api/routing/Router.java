package io.herald.api.routing;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;

/**
 * Decides, for each recipient, where a message goes. Routers form a chain ordered by {@link #priority()}
 * (lower first); the first answer that is not {@link Route.Pass} wins. A recipient no router claims is
 * refused with {@code 550 5.7.1} (Herald is not an open relay).
 *
 * <p><b>Contract.</b> Called at RCPT time (so that a refusal reaches the client) and again at delivery time, when
 * the answer may differ (a mailbox created meanwhile). Routers must be fast and side-effect free: the same envelope
 * and recipient may be routed several times. Bound with {@code router().to(MyRouter.class)}; the built-in local
 * router has priority 10, so a router that must see local recipients first uses a lower one.
 *
 * <p><b>Threading.</b> Called concurrently for different sessions and deliveries: thread-safe. At RCPT time on the
 * SMTP listener's hook executor; at delivery time on the delivery agent's router threads.
 *
 * <p><b>Time limit.</b> At RCPT time the listener's {@code hookTimeout} ({@code conf/smtp.cfg}, default 10s); at
 * delivery time {@code delivery.routerTimeout} ({@code conf/queue.cfg}, default 10s). A call that runs out of time is
 * interrupted; at both times failed calls count for the circuit breaker ({@code pluginFailureLimit}).
 *
 * <p><b>Failure policy: fail closed.</b> A router that throws or times out makes the recipient a temporary failure
 * ({@code 451 4.3.0} at RCPT; a deferred delivery, retried with back-off): mail is never misrouted or refused for
 * good because a router failed.
 */
@org.osgi.annotation.versioning.ConsumerType
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
