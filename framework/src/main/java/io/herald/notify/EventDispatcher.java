package io.herald.notify;

import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.mailbox.MailboxEventPublisher;
import io.herald.api.notify.NotificationSink;
import io.herald.host.ExtensionRegistry;
import io.herald.host.Plugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hands mailbox events to the active notification sinks: each sink gets its own {@link SinkChannel} (bounded queue,
 * worker thread, retries with back-off, counts). {@link #publish} only offers the event to each channel's queue, so
 * it never waits for a sink; a full queue drops the event for that sink alone and counts it.
 *
 * <p>Channels follow the registry: a sink gets its channel when its plugin is registered, and loses it (undelivered
 * events handed to {@link NotificationSink#undelivered}) when its plugin is withdrawn, before the host closes it.
 */
public final class EventDispatcher implements MailboxEventPublisher, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventDispatcher.class);
    static final Duration CLOSE_GRACE = Duration.ofSeconds(2);

    private final Map<NotificationSink, SinkChannel> channels = new IdentityHashMap<>();
    private volatile List<SinkChannel> active = List.of();
    private ExtensionRegistry registry;
    private boolean closed;

    private final int maxQueue;

    /** Not attached yet ({@link #attach}); each sink's queue as its policy says. */
    public EventDispatcher() {
        this.maxQueue = Integer.MAX_VALUE;
    }

    /**
     * Attached to this registry, no sink's queue larger than {@code maxQueue} (whatever its
     * {@link NotificationSink#policy() policy} asks for).
     */
    public EventDispatcher(ExtensionRegistry registry, int maxQueue) {
        if (maxQueue < 1) throw new IllegalArgumentException("maxQueue must be at least 1, not " + maxQueue);
        this.maxQueue = maxQueue;
        attach(registry);
    }

    /** Follows this registry's sinks from now on. */
    public void attach(ExtensionRegistry registry) {
        this.registry = registry;
        registry.addListener(ext -> reconcile(ext.notificationSinks()));
    }

    private synchronized void reconcile(List<NotificationSink> sinks) {
        if (closed) return;
        Map<NotificationSink, Boolean> wanted = new IdentityHashMap<>();
        for (NotificationSink s : sinks) wanted.put(s, Boolean.TRUE);
        List<SinkChannel> gone = new ArrayList<>();
        channels.entrySet().removeIf(e -> {
            if (wanted.containsKey(e.getKey())) return false;
            gone.add(e.getValue());
            return true;
        });
        List<SinkChannel> now = new ArrayList<>();
        for (NotificationSink s : sinks) {
            SinkChannel c = channels.get(s);
            if (c == null) {
                c = new SinkChannel(s, owner(s), maxQueue);
                channels.put(s, c);
                c.start();
                log.debug("notification sink {}/{} registered", c.plugin, c.name);
            }
            now.add(c);
        }
        active = List.copyOf(now);
        for (SinkChannel c : gone) c.close(CLOSE_GRACE);
    }

    private String owner(NotificationSink sink) {
        if (registry != null) {
            for (Plugin p : registry.plugins()) {
                for (Object o : p.distinctContributions()) if (o == sink) return p.name();
            }
        }
        return "core";
    }

    /** Offers the event to every sink's queue; returns at once. */
    @Override
    public void publish(MailboxEvent event) {
        for (SinkChannel c : active) c.offer(event, null);
    }

    /**
     * Sends one event through every sink, as {@code herald notify test} does, and waits at most {@code timeout} for
     * each to finish with it. A sink that says it is {@link io.herald.api.notify.NotificationSink#notConfigured not
     * configured} is not sent the event and answers {@link SinkOutcome.NotConfigured}.
     *
     * @return per sink (plugin, name) what it did, or where the event stands when the time was up
     */
    public List<TestResult> test(MailboxEvent event, Duration timeout) throws InterruptedException {
        List<Object> probes = new ArrayList<>();   // a Probe per sink that got the event, or the sink's result
        for (SinkChannel c : active) {
            java.util.Optional<String> missing = notConfigured(c);
            if (missing.isPresent()) {
                probes.add(new TestResult(c.plugin, c.name, new SinkOutcome.NotConfigured(missing.get())));
                continue;
            }
            SinkChannel.Probe p = new SinkChannel.Probe(c.plugin, c.name);
            probes.add(p);
            c.offer(event, p);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<TestResult> out = new ArrayList<>();
        for (Object o : probes) {
            if (o instanceof TestResult done) {
                out.add(done);
            } else if (o instanceof SinkChannel.Probe p) {
                out.add(new TestResult(p.plugin, p.sink, p.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))));
            }
        }
        return out;
    }

    /** What the sink says it lacks; a sink that throws counts as configured (its events then show what fails). */
    private static java.util.Optional<String> notConfigured(SinkChannel c) {
        try {
            java.util.Optional<String> missing = c.sink.notConfigured();
            return missing == null ? java.util.Optional.empty() : missing;
        } catch (RuntimeException | LinkageError e) {
            log.warn("sink {}/{}: notConfigured() threw: {}", c.plugin, c.name, e.toString());
            return java.util.Optional.empty();
        }
    }

    /** One sink's answer to {@link #test}. */
    public record TestResult(String plugin, String sink, SinkOutcome outcome) {
        public String describe() { return SinkOutcome.describe(outcome); }
    }

    /** The counts of every active sink. */
    public List<SinkStats> stats() {
        return active.stream().map(SinkChannel::stats).toList();
    }

    /** Events dropped by all active sinks (queue full or withdrawn). */
    public long dropped() {
        return stats().stream().mapToLong(SinkStats::dropped).sum();
    }

    /** Withdraws every channel (undelivered events to their sinks). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        List<SinkChannel> all = new ArrayList<>(channels.values());
        channels.clear();
        active = List.of();
        for (SinkChannel c : all) c.close(CLOSE_GRACE);
    }
}
