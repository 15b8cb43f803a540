package io.herald.plugin.mailbox;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GroupSyncTest {

    /** Callers that arrive while a sync runs share the next one: one sync per distinct key per batch. */
    @Test
    void concurrentCallersShareOneSyncPerKey() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> synced = new CopyOnWriteArrayList<>();
        AtomicReference<GroupSync<String>> holder = new AtomicReference<>();
        holder.set(new GroupSync<>(key -> {
            if (synced.isEmpty()) {
                // the first batch's sync holds until all ten callers are in: the other nine form one batch
                while (holder.get().counts()[1] < 10) Thread.onSpinWait();
                await(release);
            }
            synced.add(key);
        }));
        GroupSync<String> sync = holder.get();
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<?>> fs = new ArrayList<>();
            fs.add(pool.submit(() -> { sync.sync("a"); return null; }));
            while (sync.counts()[0] < 1) Thread.onSpinWait(); // the first caller leads
            for (int i = 1; i < 10; i++) {
                String key = i % 2 == 0 ? "a" : "b";
                fs.add(pool.submit(() -> { sync.sync(key); return null; }));
            }
            release.countDown();
            for (Future<?> f : fs) f.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(sync.counts()).containsExactly(2, 10);
        assertThat(synced).hasSize(3).startsWith("a"); // first batch {a}, second batch {a, b}
        assertThat(synced.subList(1, 3)).containsExactlyInAnyOrder("a", "b");
    }

    /** Whatever a caller did before calling is covered: the sync that lets it return started after its call. */
    @Test
    void everyCallerReturnsAfterASyncThatStartedAfterItsCall() throws Exception {
        AtomicLong clock = new AtomicLong();
        Map<String, List<long[]>> syncs = new ConcurrentHashMap<>();
        GroupSync<String> sync = new GroupSync<>(key -> {
            long[] span = {clock.incrementAndGet(), 0};
            Thread.yield();
            span[1] = clock.incrementAndGet();
            syncs.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(span);
        });
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String key = "k" + (t % 3);
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        long called = clock.incrementAndGet();
                        sync.sync(key);
                        long returned = clock.incrementAndGet();
                        boolean covered = syncs.get(key).stream().anyMatch(s -> s[0] > called && s[1] != 0 && s[1] < returned);
                        if (!covered) return false;
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : fs) assertThat(f.get(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThat(sync.counts()[1]).isEqualTo(1600);
    }

    /** A failed sync fails the callers of its batch with the cause; the next batch tries again. */
    @Test
    void aFailedSyncFailsItsBatchOnly() throws Exception {
        boolean[] fail = {true};
        GroupSync<String> sync = new GroupSync<>(key -> {
            if (fail[0]) throw new IOException("disk gone: " + key);
        });
        assertThatThrownBy(() -> sync.sync("x")).isInstanceOf(IOException.class).hasMessageContaining("disk gone: x");
        fail[0] = false;
        sync.sync("x");
        assertThat(sync.counts()).containsExactly(2, 2);
    }

    private static void await(CountDownLatch l) {
        try {
            l.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
