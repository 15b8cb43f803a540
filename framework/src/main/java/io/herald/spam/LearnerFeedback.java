package io.herald.spam;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.spam.SpamFeedback;
import io.herald.api.spam.SpamLearner;
import io.herald.host.ExtensionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link SpamFeedback}: users' Junk moves, reported by protocol plugins, handed to every active {@link SpamLearner}
 * on one thread of its own behind a bounded queue (a full queue drops the report, counted). The message is read
 * from the active store when the report is processed; one that is gone by then is skipped.
 */
public final class LearnerFeedback implements SpamFeedback, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LearnerFeedback.class);

    private final ExtensionRegistry registry;
    private final MailboxStore store;
    private final ThreadPoolExecutor executor;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong learnt = new AtomicLong();

    public LearnerFeedback(ExtensionRegistry registry, MailboxStore store, int queueCapacity) {
        this.registry = registry;
        this.store = store;
        this.executor = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queueCapacity), r -> {
            Thread t = new Thread(r, "herald-spam-learning");
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
    }

    @Override
    public void report(String mailbox, String folder, long uid, boolean spam) {
        try {
            executor.execute(() -> learn(mailbox, folder, uid, spam));
        } catch (RejectedExecutionException e) {
            long n = dropped.incrementAndGet();
            if (n == 1 || n % 100 == 0) log.warn("spam learning queue full: {} reports dropped so far", n);
        }
    }

    private void learn(String mailbox, String folder, long uid, boolean spam) {
        var learners = registry.snapshot().spamLearners();
        if (learners.isEmpty()) return;
        Optional<MessageContent> content;
        try {
            content = store.content(mailbox, folder, uid);
        } catch (Exception e) {
            log.warn("spam learning: cannot read {} {} uid {}: {}", mailbox, folder, uid, e.toString());
            return;
        }
        if (content.isEmpty()) return;
        for (SpamLearner l : learners) {
            try {
                l.learn(content.get(), spam);
                learnt.incrementAndGet();
                log.info("spam learning: {} learnt {} {} uid {} as {}", l.name(), mailbox, folder, uid, spam ? "spam" : "ham");
            } catch (Exception | LinkageError e) {
                log.warn("spam learner {} failed on {} {} uid {}: {}", l.name(), mailbox, folder, uid, e.toString());
            }
        }
    }

    /** Reports dropped because the queue was full. */
    public long dropped() { return dropped.get(); }

    /** Successful learn calls so far (one per learner and report). */
    public long learnt() { return learnt.get(); }

    /** Waits until the reports queued so far are processed (tests). */
    public boolean awaitIdle(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (executor.getQueue().size() + executor.getActiveCount() > 0) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(10);
        }
        return true;
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
