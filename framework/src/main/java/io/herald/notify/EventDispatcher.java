package io.herald.notify;

import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.mailbox.MailboxEventPublisher;
import io.herald.api.notify.NotificationSink;
import io.herald.host.ExtensionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands mailbox events to the active notification sinks, off the publishing thread: a bounded queue in front
 * of one dispatching thread. When the queue is full the event is dropped and counted; delivery never waits.
 */
public final class EventDispatcher implements MailboxEventPublisher, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventDispatcher.class);

    private final ExtensionRegistry registry;
    private final ExecutorService executor;
    private final AtomicLong dropped = new AtomicLong();

    public EventDispatcher(ExtensionRegistry registry, int queueCapacity) {
        this.registry = registry;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queueCapacity), r -> {
            Thread t = new Thread(r, "herald-events");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void publish(MailboxEvent event) {
        try {
            executor.execute(() -> dispatch(event));
        } catch (RejectedExecutionException e) {
            long n = dropped.incrementAndGet();
            if (n == 1 || n % 1000 == 0) log.warn("event queue full: {} events dropped so far", n);
        }
    }

    private void dispatch(MailboxEvent event) {
        for (NotificationSink sink : registry.snapshot().notificationSinks()) {
            try {
                if (sink.accepts(event)) sink.onEvent(event);
            } catch (Exception e) {
                log.warn("notification sink {} failed on {}: {}", sink.getClass().getName(), event.getClass().getSimpleName(), e.toString());
            }
        }
    }

    public long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
