package io.herald.smtp;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ResidentNioProcessorTest {

    @Test
    void anIdleProcessorKeepsRunningUntilItIsDisposed() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            ResidentNioProcessor p = new ResidentNioProcessor(threads);
            // MINA's loop leaves when the selector is empty: without a session, not disposing, it must not be
            assertThat(p.isSelectorEmpty()).isFalse();
            // disposing runs the loop once more; it must now see the empty selector and leave, or this never ends
            CompletableFuture<Void> disposed = CompletableFuture.runAsync(p::dispose);
            disposed.get(30, TimeUnit.SECONDS);
            assertThat(p.isDisposed()).isTrue();
        } finally {
            threads.shutdownNow();
        }
    }
}
