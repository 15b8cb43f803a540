package io.herald.api.notify;

import io.herald.api.mailbox.MailboxEvent;

import java.util.List;

/**
 * Receives mailbox events, to tell users' devices about them (webhooks, Server-Sent Events, IMAP IDLE).
 *
 * <p><b>Delivery.</b> The core gives every sink its own bounded queue and its own worker thread: publishing an event
 * never waits for a sink, and a slow sink delays only itself. Events reach one sink in the order they were
 * published, one at a time ({@link #onEvent} is never called concurrently for one sink) unless its policy asks
 * for more. When a sink's queue is full
 * the new event is dropped for that sink and counted (see {@code /metrics}, {@code herald notify test}).
 * A sink whose {@link DeliveryPolicy#concurrency()} is more than 1 gets that many events at the same time, each on
 * a worker of its own, in no guaranteed order: its {@code onEvent} must then be thread-safe.
 *
 * <p><b>Outcome of one call.</b> {@link #onEvent} returning normally means "done". Throwing
 * {@link RetryLaterException} means "not now, try again": the core retries the event with exponential back-off
 * as the sink's {@link #policy()} says, meanwhile delivering later events; after the last attempt it gives the
 * event up and counts it. Any other exception means "give up on this event": logged and counted, never retried.
 * A sink that needs no retries (IMAP IDLE: in-process, nothing can be unavailable) simply never throws
 * {@code RetryLaterException}.
 *
 * <p><b>Which events.</b> {@link #accepts} is asked on the sink's own worker, never on the publishing thread.
 * Plugins read which users and folders they serve from their own configuration with {@link EventFilter#from}
 * (keys {@code users}, {@code folders}, {@code events}), so that every notification plugin is configured alike.
 *
 * <p><b>Restarts.</b> Events live in memory. When a sink is withdrawn (plugin stopped, server shut down) the
 * events still queued or waiting for a retry are handed to {@link #undelivered}; when it is registered again, the
 * core first delivers what {@link #backlog} returns. Both default to nothing, so a restart replays nothing unless
 * a sink chooses to keep and return its undelivered events.
 *
 * <p>A sink that is {@link AutoCloseable} is closed by the host after it was withdrawn and its
 * {@link #undelivered} was called.
 */
public interface NotificationSink {

    /**
     * Whether this sink wants the event; the default is every event. Called on the sink's worker thread, before
     * {@link #onEvent}; throwing counts as "not accepted" (logged).
     */
    default boolean accepts(MailboxEvent event) { return true; }

    /**
     * Handles one event, on the sink's worker thread.
     *
     * @throws RetryLaterException the event should be tried again later (receiver unavailable, timeout, HTTP 5xx/429)
     * @throws Exception           anything else: this event is given up (logged and counted), the next one follows
     */
    void onEvent(MailboxEvent event) throws Exception;

    /**
     * Why this sink sends nothing at all because configuration it needs is missing, for the operator: what to set, in
     * which file (a webhook without a URL: {@code "no url: set url in conf/notify-webhook.cfg"}). Empty, the default,
     * when the sink is configured. {@code herald notify test} then reports the sink as "not configured" with this
     * text, rather than as not serving the address. Asked on any thread; must be cheap and must not throw.
     *
     * @since 1.2
     */
    default java.util.Optional<String> notConfigured() { return java.util.Optional.empty(); }

    /** A short name for logs, metrics and {@code herald notify test}; defaults to the class's simple name. */
    default String name() { return getClass().getSimpleName(); }

    /** Queue size and retry schedule for this sink; the default is {@link DeliveryPolicy#DEFAULT}. Asked once, at registration. */
    default DeliveryPolicy policy() { return DeliveryPolicy.DEFAULT; }

    /**
     * Events to deliver before any new one when the sink is registered (for example those it kept from
     * {@link #undelivered} before a restart). Called once, on the worker thread. Default: none.
     */
    default List<MailboxEvent> backlog() { return List.of(); }

    /**
     * The events that were still queued or waiting for a retry when the sink was withdrawn, oldest first. The sink
     * may keep them to return them from {@link #backlog} after a restart; by default they are forgotten (and counted
     * as dropped). Called once, on the thread that withdraws the plugin, before the sink is closed.
     */
    default void undelivered(List<MailboxEvent> events) { }
}
