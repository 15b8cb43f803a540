package io.herald.delivery;

import io.herald.queue.QueueEntry;
import io.herald.queue.RecipientState;

import java.util.List;

/**
 * Told when recipients fail permanently, so that a delivery status notification (RFC 3464) can go back to the
 * sender: {@link DsnBounceSink} queues one. Called once per delivery attempt with every recipient that failed in it
 * (a relay transaction's refused recipients, a local delivery's unknown users), so that one DSN lists them all.
 *
 * <p>Called <em>before</em> the failures are recorded in the queue, so after a crash it may be called again for the
 * same recipients (at least once): an implementation should itself queue the bounce durably and remember, keyed by
 * {@code entry.id()} and the recipients' indexes, that it did. It must not bounce to the null reverse-path {@code <>}
 * (RFC 5321 §4.5.5); the agent passes such failures too, e.g. for a postmaster copy.
 */
@FunctionalInterface
public interface BounceSink {

    BounceSink NONE = (entry, failures) -> { };

    /**
     * @param entry    the queue entry (its envelope, session and content)
     * @param failures the recipients' final states, never empty: {@link RecipientState.Status#FAILED}, with the reply
     *                 as {@code lastReply}
     * @throws Exception when the bounce cannot be taken now; the recipients then stay deferred and are retried
     */
    void permanentFailures(QueueEntry entry, List<RecipientState> failures) throws Exception;
}
