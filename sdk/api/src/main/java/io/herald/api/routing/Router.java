package io.herald.api.routing;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;

import java.util.Optional;

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
 * SMTP listener's hook executor (first, {@link #routeWithoutBlocking} on the network thread, since 1.2); at delivery
 * time on the delivery agent's router threads.
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

    /**
     * Answers at RCPT time on the calling thread, when the answer needs no work that may block; otherwise empty, and
     * then {@link #route} is called on the hook executor. The SMTP session calls this first, on the network (I/O)
     * thread that reads the client: a router that answers here saves two thread hand-offs per recipient.
     *
     * <p><b>Contract.</b> Same answer as {@link #route} would give. Return within microseconds and never block: no
     * network, no DNS, no disk sync, no waiting for a lock another thread holds across such work, no sleep. The network
     * thread serves many sessions, and no time limit applies here (a call cannot be interrupted on that thread): a
     * router that blocks here stalls every session on the thread. Reading memory, or what the operating system has
     * cached (the attributes of a configuration file, at most once a second), is fine. When answering would need more
     * (a mailbox to create, a lookup over the network), return empty.
     *
     * <p><b>Failure policy.</b> As {@link #route}: an exception fails the recipient with {@code 451 4.3.0} and counts
     * for the circuit breaker. {@code null} counts as empty.
     *
     * <p>At delivery time only {@link #route} is called. The default answers empty: the router always runs on the
     * hook executor, as before 1.2.
     *
     * @since 1.2
     */
    default Optional<Route> routeWithoutBlocking(Envelope envelope, MailAddress recipient) {
        return Optional.empty();
    }
}
