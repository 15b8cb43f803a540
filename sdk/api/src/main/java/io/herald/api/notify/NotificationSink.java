package io.herald.api.notify;

import io.herald.api.mailbox.MailboxEvent;

/**
 * Receives mailbox events, to tell users' devices about them. Every sink gets every event it
 * {@linkplain #accepts accepts}, asynchronously: a slow or failing sink never delays delivery.
 */
public interface NotificationSink {

    /** Whether this sink wants the event; the default is every event. */
    default boolean accepts(MailboxEvent event) { return true; }

    /** Handles one event. Throwing is logged; the core does not retry by itself. */
    void onEvent(MailboxEvent event) throws Exception;
}
