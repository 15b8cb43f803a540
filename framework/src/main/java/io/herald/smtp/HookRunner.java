package io.herald.smtp;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs calls into plugins (hooks, routers, the sender policy) off the MINA I/O threads, on a
 * bounded executor, each with a time limit. A call that runs out of time is interrupted and its future fails with a
 * {@link TimeoutException}; when the executor is saturated the future fails with a {@link RejectedExecutionException}.
 * The caller applies the extension point's failure policy.
 */
final class HookRunner implements AutoCloseable {

    private final ThreadPoolExecutor executor;
    private final ScheduledExecutorService timer;
    private final Duration timeout;

    HookRunner(int threads, Duration timeout) {
        this.timeout = timeout;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(threads * 64),
                r -> daemon(r, "smtp-hook-" + n.incrementAndGet()));
        this.executor.allowCoreThreadTimeOut(true);
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "smtp-hook-timer"));
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
    }

    <T> CompletableFuture<T> call(String what, Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Future<?> running;
        try {
            running = executor.submit(() -> {
                try {
                    T value = task.call();
                    result.complete(value);
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(e);
            return result;
        }
        ScheduledFuture<?> deadline = timer.schedule(() -> {
            if (result.completeExceptionally(new TimeoutException(what + " did not answer within " + timeout))) running.cancel(true);
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((r, e) -> deadline.cancel(false));
        return result;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        timer.shutdownNow();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
