package io.herald.notify;

import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.notify.DeliveryPolicy;
import io.herald.api.notify.NotificationSink;
import io.herald.api.notify.RetryLaterException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One sink's delivery: a bounded queue of new events and a set of events waiting for a retry, served by worker
 * threads of its own ({@link DeliveryPolicy#concurrency()}, usually one; so a slow sink delays only itself). Offering never blocks: a full queue drops the event and
 * counts it.
 */
final class SinkChannel {

    private static final Logger log = LoggerFactory.getLogger(SinkChannel.class);
    /** The longest the worker sleeps without looking at the retry set. */
    private static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    final NotificationSink sink;
    final String plugin;
    final String name;
    private final DeliveryPolicy policy;
    private final ArrayBlockingQueue<Item> ready;
    /** Guarded by itself; {@link #close} empties it after the workers stopped. */
    private final PriorityQueue<Item> retrying = new PriorityQueue<>(Comparator.comparingLong((Item i) -> i.due).thenComparingLong(i -> i.seq));
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean running = true;
    private final AtomicLong seq = new AtomicLong();

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong givenUp = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong notAccepted = new AtomicLong();
    private volatile String lastError;

    SinkChannel(NotificationSink sink, String plugin, int maxQueue) {
        this.sink = sink;
        this.plugin = plugin;
        this.name = safeName(sink);
        DeliveryPolicy p = safePolicy(sink);
        this.policy = p.queueCapacity() <= maxQueue ? p : new DeliveryPolicy(maxQueue, p.maxAttempts(), p.firstRetry(), p.maxRetry(), p.concurrency());
        this.ready = new ArrayBlockingQueue<>(policy.queueCapacity());
        for (int i = 0; i < policy.concurrency(); i++) {
            boolean first = i == 0;
            Thread t = new Thread(() -> run(first), "herald-notify-" + plugin + "-" + name + (policy.concurrency() > 1 ? "-" + (i + 1) : ""));
            t.setDaemon(true);
            workers.add(t);
        }
    }

    void start() {
        workers.forEach(Thread::start);
    }

    /** Queues an event; never blocks. Returns false (and counts a drop) when the queue is full or closed. */
    boolean offer(MailboxEvent event, Probe probe) {
        Item item = new Item(event, probe, System.nanoTime(), seq.incrementAndGet());
        if (running && ready.offer(item)) return true;
        long n = dropped.incrementAndGet();
        String why = running ? "queue full (" + policy.queueCapacity() + " events)" : "sink withdrawn";
        if (probe != null) probe.finish(new SinkOutcome.Dropped(why));
        if (n == 1 || n % 1000 == 0) log.warn("notification sink {}/{}: {}: {} events dropped so far", plugin, name, why, n);
        return false;
    }

    SinkStats stats() {
        int waiting;
        synchronized (retrying) {
            waiting = retrying.size();
        }
        return new SinkStats(plugin, name, ready.size(), waiting, delivered.get(), retries.get(), givenUp.get(),
                dropped.get(), notAccepted.get(), lastError);
    }

    private void run(boolean loadBacklog) {
        if (loadBacklog) loadBacklog();
        work();
    }

    private void loadBacklog() {
        try {
            List<MailboxEvent> backlog = sink.backlog();
            if (!backlog.isEmpty()) log.info("notification sink {}/{}: delivering {} events kept from before", plugin, name, backlog.size());
            // due now, in order: served before new events, and handed back by close() if not reached
            synchronized (retrying) {
                for (MailboxEvent e : backlog) retrying.add(new Item(e, null, System.nanoTime(), seq.incrementAndGet()).dueNow());
            }
        } catch (RuntimeException e) {
            log.warn("notification sink {}/{}: backlog() failed: {}", plugin, name, e.toString(), e);
        }
    }

    private void work() {
        while (running) {
            try {
                Item next = dueRetry();
                if (next == null) {
                    long wait = MAX_IDLE_NANOS;
                    synchronized (retrying) {
                        Item head = retrying.peek();
                        if (head != null) wait = Math.max(0, Math.min(wait, head.due - System.nanoTime()));
                    }
                    next = ready.poll(wait, TimeUnit.NANOSECONDS);
                }
                if (next != null) attempt(next);
            } catch (InterruptedException e) {
                if (!running) break;
            }
        }
    }

    private Item dueRetry() {
        synchronized (retrying) {
            Item head = retrying.peek();
            if (head != null && head.due - System.nanoTime() <= 0) return retrying.poll();
            return null;
        }
    }

    private void attempt(Item item) throws InterruptedException {
        if (item.attempts == 0) {
            boolean accepted;
            try {
                accepted = sink.accepts(item.event);
            } catch (RuntimeException e) {
                log.warn("notification sink {}/{}: accepts() threw, event not delivered: {}", plugin, name, e.toString(), e);
                accepted = false;
            }
            if (!accepted) {
                notAccepted.incrementAndGet();
                if (item.probe != null) item.probe.finish(new SinkOutcome.NotAccepted());
                return;
            }
        }
        item.attempts++;
        if (item.probe != null) item.probe.attempting(item.attempts);
        try {
            sink.onEvent(item.event);
            delivered.incrementAndGet();
            if (item.probe != null) item.probe.finish(new SinkOutcome.Delivered(item.attempts, Duration.ofNanos(System.nanoTime() - item.published)));
        } catch (RetryLaterException e) {
            if (!running && Thread.currentThread().isInterrupted()) {
                item.attempts--;   // interrupted by close(): not the sink's failure; handed to undelivered()
                synchronized (retrying) {
                    retrying.add(item.dueNow());
                }
                throw new InterruptedException();
            }
            retries.incrementAndGet();
            lastError = e.getMessage();
            if (item.attempts >= policy.maxAttempts()) {
                giveUp(item, "attempt " + item.attempts + " of " + policy.maxAttempts() + " asked for a retry: " + e.getMessage());
                return;
            }
            Duration wait = policy.backoff(item.attempts + 1);
            if (e.after().isPresent()) wait = e.after().get().compareTo(policy.maxRetry()) > 0 ? policy.maxRetry() : e.after().get();
            synchronized (retrying) {
                if (retrying.size() >= policy.queueCapacity()) {
                    giveUp(item, "too many events waiting for a retry (" + policy.queueCapacity() + "): " + e.getMessage());
                    return;
                }
                item.due = System.nanoTime() + wait.toNanos();
                retrying.add(item);
            }
            if (item.probe != null) item.probe.retrying(item.attempts, e.getMessage(), item.due);
            log.debug("notification sink {}/{}: attempt {} asked for a retry in {} ms: {}", plugin, name, item.attempts, wait.toMillis(), e.getMessage());
        } catch (InterruptedException e) {
            if (!running) {
                item.attempts--;
                synchronized (retrying) {
                    retrying.add(item.dueNow());
                }
                throw e;
            }
            giveUp(item, "interrupted");
        } catch (Exception | LinkageError e) {
            lastError = e.toString();
            giveUp(item, e.toString());
        }
    }

    private void giveUp(Item item, String reason) {
        givenUp.incrementAndGet();
        lastError = reason;
        if (item.probe != null) item.probe.finish(new SinkOutcome.GivenUp(item.attempts, reason));
        log.warn("notification sink {}/{}: gave up on {} for {}: {}", plugin, name, item.event.getClass().getSimpleName(),
                item.event.mailbox(), reason);
    }

    /**
     * Stops the worker (waiting for the current attempt at most {@code grace}), hands what was not delivered to
     * {@link NotificationSink#undelivered} and counts it as dropped.
     */
    void close(Duration grace) {
        running = false;
        workers.forEach(Thread::interrupt);
        long deadline = System.nanoTime() + grace.toNanos();
        boolean alive = false;
        for (Thread worker : workers) {
            try {
                worker.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            alive |= worker.isAlive();
        }
        if (alive) {
            log.warn("notification sink {}/{}: still busy {} ms after it was withdrawn; its thread is left to finish", plugin, name, grace.toMillis());
        }
        List<Item> left = new ArrayList<>();
        synchronized (retrying) {
            left.addAll(retrying);
            retrying.clear();
        }
        ready.drainTo(left);
        left.sort(Comparator.comparingLong(i -> i.seq));
        if (left.isEmpty()) return;
        dropped.addAndGet(left.size());
        for (Item i : left) if (i.probe != null) i.probe.finish(new SinkOutcome.Dropped("sink withdrawn"));
        try {
            sink.undelivered(left.stream().map(i -> i.event).toList());
        } catch (RuntimeException e) {
            log.warn("notification sink {}/{}: undelivered() failed: {}", plugin, name, e.toString(), e);
        }
        log.info("notification sink {}/{} withdrawn with {} events undelivered", plugin, name, left.size());
    }

    private static String safeName(NotificationSink sink) {
        try {
            String n = sink.name();
            return n == null || n.isBlank() ? sink.getClass().getSimpleName() : n;
        } catch (RuntimeException e) {
            return sink.getClass().getSimpleName();
        }
    }

    private static DeliveryPolicy safePolicy(NotificationSink sink) {
        try {
            DeliveryPolicy p = sink.policy();
            return p == null ? DeliveryPolicy.DEFAULT : p;
        } catch (RuntimeException e) {
            log.warn("notification sink {}: policy() failed, using the default: {}", sink.getClass().getName(), e.toString());
            return DeliveryPolicy.DEFAULT;
        }
    }

    private static final class Item {
        final MailboxEvent event;
        final Probe probe;
        final long published;
        final long seq;
        int attempts;
        long due;

        Item(MailboxEvent event, Probe probe, long published, long seq) {
            this.event = event;
            this.probe = probe;
            this.published = published;
            this.seq = seq;
        }

        Item dueNow() {
            due = System.nanoTime();
            return this;
        }
    }

    /** Follows one event through one sink (for {@code herald notify test}). */
    static final class Probe {
        final String plugin;
        final String sink;
        private final CompletableFuture<SinkOutcome> done = new CompletableFuture<>();
        private int attempts;
        private String lastError;
        private long nextDue;

        Probe(String plugin, String sink) {
            this.plugin = plugin;
            this.sink = sink;
        }

        synchronized void attempting(int n) { attempts = n; }

        synchronized void retrying(int n, String error, long due) {
            attempts = n;
            lastError = error;
            nextDue = due;
        }

        void finish(SinkOutcome o) { done.complete(o); }

        /** The final outcome, or where the event is now when it has none yet. */
        SinkOutcome await(Duration timeout) throws InterruptedException {
            try {
                return done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                synchronized (this) {
                    if (lastError == null) return new SinkOutcome.Queued();
                    return new SinkOutcome.Retrying(attempts, lastError, Duration.ofNanos(Math.max(0, nextDue - System.nanoTime())));
                }
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
    }
}
