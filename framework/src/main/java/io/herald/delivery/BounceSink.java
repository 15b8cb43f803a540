package io.herald.delivery;

import io.herald.queue.QueueEntry;
import io.herald.queue.RecipientState;

/**
 * Told when a recipient fails permanently, so that a delivery status notification (RFC 3464) can go back to
 * the sender. The DSN generator comes in a later issue; until then {@link #NONE} only lets the failure be
 * logged by the delivery agent.
 *
 * <p>Called <em>before</em> the failure is recorded in the queue, so after a crash it may be called again for
 * the same recipient (at least once): an implementation should itself queue the bounce durably, keyed by
 * {@code entry.id() + "/" + recipient index}. It must not bounce to the null reverse-path {@code <>}
 * (RFC 5321 §4.5.5); the agent passes such failures too, e.g. for a postmaster copy.
 */
@FunctionalInterface
public interface BounceSink {

    BounceSink NONE = (entry, failure) -> { };

    /**
     * @param entry   the queue entry (its envelope, session and content)
     * @param failure the recipient's final state: {@link RecipientState.Status#FAILED}, with the reply as
     *                {@code lastReply}
     * @throws Exception when the bounce cannot be taken now; the recipient then stays deferred and is retried
     */
    void permanentFailure(QueueEntry entry, RecipientState failure) throws Exception;
}
