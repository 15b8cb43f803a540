package io.herald.delivery;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.Folders;
import io.herald.spam.SpamStatus;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import io.herald.host.ActiveMailboxStore;
import io.herald.host.ExtensionRegistry;
import io.herald.outbound.OutboundClient;
import io.herald.queue.FileQueue;
import io.herald.queue.QueueEntry;
import io.herald.queue.QueueSettings;
import io.herald.queue.RecipientState;
import io.herald.queue.RecipientState.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Delivers queue entries: every committed entry and every entry recovered at start, on
 * {@code delivery.threads} threads. For each recipient that is due, the router chain is asked again
 * (the routers active <em>now</em>; first non-{@link Route.Pass} answer wins) and:
 * <ul>
 *   <li>{@link Route.Local} → {@link MailboxStore#deliver} into INBOX with {@code Return-Path:} + the hooks'
 *       header fields + the received bytes, and the delivery key {@code <queue id>/<recipient canonical>},
 *       so that a re-delivery after a crash is stored once;</li>
 *   <li>{@link Route.Refuse} 5xx, or no router claims the recipient → failed permanently
 *       ({@link BounceSink});</li>
 *   <li>{@link Route.Relay} → the {@link RelayTransport} (the outbound SMTP client): due recipients with the same
 *       next hop go in one transaction; 2xx after the data → delivered, 4xx or a connection failure → deferred,
 *       5xx → failed; more {@code Received:} fields than {@code maxHops} → failed as a mail loop;</li>
 *   <li>a temporary {@link MailboxException}, no active store, a 4xx refusal, or a router that throws or does not
 *       answer within {@code delivery.routerTimeout} ({@code 451 4.3.0}, the Router failure policy) → deferred
 *       with doubling back-off ({@code retry.initial} .. {@code retry.max}); still deferred {@code giveUpAfter}
 *       after arrival → failed.</li>
 * </ul>
 * One entry is worked on by one thread at a time; each outcome is persisted by the queue before the next, except
 * failures: those of one attempt are handed to the {@link BounceSink} together (one DSN), then persisted. A local
 * delivery is recorded without a force ({@link FileQueue#updateRepeatable}): the store is durable when
 * {@code deliver} returns, and a repeat after a crash is recognised by the delivery key.
 *
 * <p>Router calls run on threads of their own ({@code herald-delivery-router}, at most two per delivery thread and 8
 * more), each with the time limit, as at RCPT time: a router that hangs costs one attempt's time limit, never a
 * delivery thread. Every call's outcome feeds the registry's circuit breaker ({@link ExtensionRegistry#recordOutcome});
 * a call that could not start because every router thread is taken by hung calls is not counted against the router.
 */
public final class DeliveryAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeliveryAgent.class);

    private final FileQueue queue;
    private final ExtensionRegistry registry;
    private final QueueSettings settings;
    private final BounceSink bounces;
    private final RelayTransport transport;
    private final int maxHops;
    private final Clock clock;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService timer;
    /** Router calls, each waited for at most {@link QueueSettings#routerTimeout()}. */
    private final ThreadPoolExecutor routerCalls;
    private volatile boolean closed;

    /**
     * @param queue    the queue to deliver from; {@link #start()} starts it
     * @param registry where the routers and the mailbox store are found at each attempt
     * @param settings retry schedule and thread count
     * @param bounces  told of permanent failures (the server uses {@link DsnBounceSink}; tests may use {@link BounceSink#NONE})
     */
    public DeliveryAgent(FileQueue queue, ExtensionRegistry registry, QueueSettings settings, BounceSink bounces) {
        this(queue, registry, settings, bounces, RelayTransport.NONE, 100);
    }

    /**
     * @param transport relays {@link Route.Relay} recipients (the {@link OutboundClient})
     * @param maxHops   a message to relay with more {@code Received:} fields than this is bounced as a mail loop
     */
    public DeliveryAgent(FileQueue queue, ExtensionRegistry registry, QueueSettings settings, BounceSink bounces,
                         RelayTransport transport, int maxHops) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.maxHops = maxHops;
        this.queue = Objects.requireNonNull(queue, "queue");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.bounces = Objects.requireNonNull(bounces, "bounces");
        this.clock = queue.clock();
        this.workers = new ThreadPoolExecutor(settings.deliveryThreads(), settings.deliveryThreads(), 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), named("herald-delivery"));
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, named("herald-delivery-timer"));
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
        // no queue: a call starts on an idle thread or a new one; when every thread is held by a hung call, the call
        // is rejected and the recipient deferred (so hung routers cannot pile up threads without bound)
        this.routerCalls = new ThreadPoolExecutor(0, 2 * settings.deliveryThreads() + 8, 60, TimeUnit.SECONDS,
                new java.util.concurrent.SynchronousQueue<>(), named("herald-delivery-router"));
    }

    /** Starts the queue with this agent as its consumer: recovered entries are delivered first. */
    public int start() throws IOException {
        return queue.start(this::submit);
    }

    /** Schedules an attempt for an entry now (also the queue's consumer). */
    public void submit(QueueEntry entry) {
        if (closed) return;
        try {
            workers.execute(() -> attempt(entry));
        } catch (RejectedExecutionException e) {
            log.debug("delivery agent closed; {} stays queued", entry.id());
        }
    }

    /** Stops delivering; attempts in progress finish. Entries stay in the queue for the next start. */
    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("delivery attempts still running after 30s; leaving them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        routerCalls.shutdownNow(); // interrupts router calls that still hang
    }

    private void attempt(QueueEntry entry) {
        if (closed) return;
        if (deleted(entry)) return;
        Instant now = clock.instant();
        ExtensionRegistry.Extensions ext = registry.snapshot();
        boolean persistFailed = false;
        List<RecipientState> failed = new ArrayList<>();
        // Relay recipients are gathered by next hop, so that one transaction carries all of them (routes naming the
        // same hosts in any order, port, TLS policy and credentials go together).
        Map<RelayKey, List<RecipientState>> relays = new LinkedHashMap<>();
        Map<RelayKey, Route.Relay> relayRoutes = new LinkedHashMap<>();
        for (RecipientState r : entry.recipients()) {
            if (closed || deleted(entry)) return;   // 'herald queue delete' during the attempt: the recipient in progress finished, no more
            if (!r.due(now)) continue;
            Route route;
            try {
                route = route(ext.routers(), entry.envelope(), r.recipient());
            } catch (RoutingFailed e) {
                // Router contract: a router that throws or does not answer in time makes the recipient a temporary
                // failure (fails closed)
                log.warn("delivery {}: routing {} failed: {}", entry.id(), r.recipient(), e.getMessage());
                persistFailed |= !record(entry, deferred(entry, r, now, "451 4.3.0 routing failed: " + e.getMessage()), failed);
                continue;
            }
            if (route instanceof Route.Relay relay) {
                RelayKey key = RelayKey.of(relay);
                relays.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
                relayRoutes.putIfAbsent(key, relay);
                continue;
            }
            RecipientState next = deliverOne(ext, entry, r, route, now);
            persistFailed |= route instanceof Route.Local && next.status() == Status.DELIVERED
                    ? !persist(entry, next, true)
                    : !record(entry, next, failed);
        }
        if (!relays.isEmpty()) {
            int hops = HopCount.receivedFields(entry);
            for (Map.Entry<RelayKey, List<RecipientState>> group : relays.entrySet()) {
                if (closed || deleted(entry)) return;
                for (RecipientState next : relay(entry, relayRoutes.get(group.getKey()), group.getValue(), hops, now)) {
                    persistFailed |= !record(entry, next, failed);
                }
            }
        }
        if (!failed.isEmpty()) {
            for (RecipientState f : failed) log.warn("delivery {} to {} failed permanently: {}", entry.id(), f.recipient(), f.lastReply());
            List<RecipientState> outcome = failed;
            try {
                bounces.permanentFailures(entry, failed);
            } catch (Exception e) {
                log.error("delivery {}: the bounce for {} could not be queued; retrying later", entry.id(),
                        failed.stream().map(RecipientState::recipient).toList(), e);
                outcome = failed.stream().map(f -> deferred(entry, f, now, "451 4.3.0 bounce not queued: " + e)).toList();
            }
            for (RecipientState next : outcome) persistFailed |= !persist(entry, next);
        }
        if (entry.finished()) return;
        Instant due = persistFailed ? now.plus(settings.retryInitial()) : entry.nextAttempt().orElse(now);
        long delay = Math.max(0, Duration.between(clock.instant(), due).toMillis());
        try {
            timer.schedule(() -> submit(entry), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("delivery agent closed; {} stays queued", entry.id());
        }
    }

    /** Deleted by the operator ({@code herald queue delete}) since the attempt was scheduled, or finished. */
    private boolean deleted(QueueEntry entry) {
        return queue.entry(entry.id()).orElse(null) != entry;
    }

    /** Persists a non-failed outcome now; a failed one waits for the bounce (see {@link BounceSink}). */
    private boolean record(QueueEntry entry, RecipientState next, List<RecipientState> failed) {
        if (next.status() == Status.FAILED) {
            failed.add(next);
            return true;
        }
        return persist(entry, next);
    }

    private boolean persist(QueueEntry entry, RecipientState next) {
        return persist(entry, next, false);
    }

    /**
     * @param repeatable a local delivery: a repeat after a crash is recognised by the store's delivery key, so the
     *                   queue records it without a force ({@link FileQueue#updateRepeatable})
     */
    private boolean persist(QueueEntry entry, RecipientState next, boolean repeatable) {
        try {
            if (repeatable) queue.updateRepeatable(entry, next); else queue.update(entry, next);
            return true;
        } catch (IOException e) {
            // the store dedupes by delivery key, so trying again later is safe
            log.error("delivery {}: cannot record the state of {}: {}", entry.id(), next.recipient(), e.toString());
            return false;
        }
    }

    /**
     * Relays one group of recipients: refused as a mail loop when the message has more {@code Received:} fields than
     * {@code maxHops} (RFC 5321 §6.3), else through the transport.
     */
    private List<RecipientState> relay(QueueEntry entry, Route.Relay route, List<RecipientState> group, int hops, Instant now) {
        List<RecipientState> out = new ArrayList<>(group.size());
        if (hops > maxHops) {
            for (RecipientState r : group) {
                out.add(state(r, Status.FAILED, Optional.empty(), "554 5.4.6 mail loop: the message has " + hops
                        + " Received: header fields, more than the limit of " + maxHops + " (RFC 5321 6.3)", now));
            }
            return out;
        }
        List<MailAddress> rcpts = group.stream().map(RecipientState::recipient).toList();
        List<OutboundClient.Result> results;
        try {
            results = transport.deliver(route, entry.envelope(), rcpts,
                    DeliveryContent.relayed(entry.addedHeaders(), entry.content()));
        } catch (RuntimeException e) {
            log.error("delivery {}: the outbound transport failed for {}", entry.id(), rcpts, e);
            for (RecipientState r : group) out.add(deferred(entry, r, now, "451 4.3.0 outbound transport failed: " + e));
            return out;
        }
        for (int i = 0; i < group.size(); i++) {
            RecipientState r = group.get(i);
            OutboundClient.Result res = results.get(i);
            switch (res.kind()) {
                case DELIVERED -> {
                    log.debug("delivery {}: {} relayed: {}", entry.id(), r.recipient(), res.reply());
                    out.add(state(r, Status.DELIVERED, Optional.empty(), res.reply(), now));
                }
                case FAILED -> out.add(state(r, Status.FAILED, Optional.empty(), res.reply(), now));
                case DEFERRED -> out.add(deferred(entry, r, now, res.reply()));
            }
        }
        return out;
    }

    /** What groups relay recipients into one transaction: the same hosts (as a set), port, TLS and credentials. */
    private record RelayKey(Set<String> hosts, int port, Route.TlsPolicy tls, Optional<Route.Credentials> credentials) {
        static RelayKey of(Route.Relay r) {
            return new RelayKey(new java.util.TreeSet<>(r.hosts()), r.port(), r.tls(), r.credentials());
        }
    }

    private RecipientState deliverOne(ExtensionRegistry.Extensions ext, QueueEntry entry, RecipientState r, Route route, Instant now) {
        MailAddress rcpt = r.recipient();
        if (route instanceof Route.Local local) {
            Optional<MailboxStore> store = ext.mailboxStore();
            if (store.isEmpty()) return deferred(entry, r, now, "451 4.3.0 no mailbox store is active");
            // The verdict of this hop's spam filters travels with the queue entry (the headers its hooks added);
            // fields inside the message itself could have been written by anyone upstream and are never read here.
            String folder = SpamStatus.folderFor(entry.addedHeaders());
            Set<String> flags = Folders.JUNK.equals(folder) ? Set.of(Flags.JUNK) : Set.of();
            Delivery d = new Delivery(local.mailbox(), folder,
                    new DeliveryContent(entry.envelope().reversePathText(), entry.addedHeaders(), entry.content()),
                    deliveryKey(entry, rcpt), entry.arrival(), flags);
            try {
                StoredMessage m = store.get().deliver(d);
                log.debug("delivered {} to {} (uid {})", entry.id(), local.mailbox(), m.uid());
                return state(r, Status.DELIVERED, Optional.empty(), "250 2.0.0 delivered to " + local.mailbox() + " uid " + m.uid(), now);
            } catch (MailboxException e) {
                if (e.isTemporary()) return deferred(entry, r, now, "452 4.2.0 " + e.getMessage());
                return state(r, Status.FAILED, Optional.empty(), "550 5.2.0 " + e.getMessage(), now);
            } catch (RuntimeException e) {
                log.error("delivery {}: the mailbox store threw for {}", entry.id(), local.mailbox(), e);
                return deferred(entry, r, now, "451 4.3.0 mailbox store failed: " + e);
            }
        }
        if (route instanceof Route.Refuse refuse) {
            String reply = refuse.code() + " " + refuse.enhancedCode() + " " + refuse.text();
            return refuse.code() >= 500 ? state(r, Status.FAILED, Optional.empty(), reply, now) : deferred(entry, r, now, reply);
        }
        return state(r, Status.FAILED, Optional.empty(), "550 5.7.1 no route to " + rcpt + " (relaying denied)", now);
    }

    /** The delivery key: identifies one recipient's copy across retries and restarts. */
    public static String deliveryKey(QueueEntry entry, MailAddress recipient) {
        return entry.id() + "/" + recipient.canonical();
    }

    /** The first router answer that is not {@link Route.Pass}; each call on a router thread, within the time limit. */
    private Route route(List<Router> routers, Envelope envelope, MailAddress rcpt) throws RoutingFailed {
        for (Router router : routers) {
            Route route = call(router, envelope, rcpt);
            if (route != null && !(route instanceof Route.Pass)) return route;
        }
        return Route.pass();
    }

    private Route call(Router router, Envelope envelope, MailAddress rcpt) throws RoutingFailed {
        String name = "router " + router.getClass().getName();
        Future<Route> call;
        try {
            call = routerCalls.submit(() -> router.route(envelope, rcpt));
        } catch (RejectedExecutionException e) {
            // every router thread is held by a hung call (or the agent is closing): not this router's fault
            throw new RoutingFailed(name + " not called: no router thread free", e);
        }
        try {
            Route route = call.get(settings.routerTimeout().toMillis(), TimeUnit.MILLISECONDS);
            registry.recordOutcome(router, null);
            return route;
        } catch (TimeoutException e) {
            call.cancel(true);
            TimeoutException timedOut = new TimeoutException(name + " did not answer within " + settings.routerTimeout());
            registry.recordOutcome(router, timedOut);
            throw new RoutingFailed(timedOut.getMessage(), timedOut);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            // no store yet is the core's state, not the router's fault (as at RCPT time)
            if (!(cause instanceof ActiveMailboxStore.NoStoreException)) registry.recordOutcome(router, cause);
            throw new RoutingFailed(name + " threw " + cause, cause);
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw new RoutingFailed(name + " not answered: the delivery thread was interrupted", e);
        }
    }

    /** A router threw, timed out or could not be called: the recipient is deferred. */
    private static final class RoutingFailed extends Exception {
        RoutingFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private RecipientState deferred(QueueEntry entry, RecipientState r, Instant now, String reply) {
        if (!now.isBefore(entry.arrival().plus(settings.giveUpAfter()))) {
            return state(r, Status.FAILED, Optional.empty(),
                    "554 4.4.7 delivery time expired after " + settings.giveUpAfter() + "; last reply: " + reply, now);
        }
        Instant next = now.plus(settings.retryDelay(r.attempts() + 1));
        log.info("delivery {} to {} deferred until {}: {}", entry.id(), r.recipient(), next, reply);
        return state(r, Status.DEFERRED, Optional.of(next), reply, now);
    }

    private static RecipientState state(RecipientState r, Status status, Optional<Instant> next, String reply, Instant now) {
        return new RecipientState(r.index(), r.recipient(), status, r.attempts() + 1, next, reply, Optional.of(now));
    }

    private static ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return runnable -> {
            Thread t = new Thread(runnable, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
